# Stand-in for PVE::Exception: parameter errors die with "field: message" lines. Not Proxmox code.
package PVE::Exception;
use strict;
use warnings;
use base 'Exporter';
our @EXPORT_OK = qw(raise_param_exc raise);

sub raise_param_exc {
    my ($errors) = @_;
    die join('', map { "$_: $errors->{$_}\n" } sort keys %$errors);
}

sub raise { my ($msg) = @_; die "$msg\n"; }

1;
