# Stand-in for PVE::JSONSchema: only the netmask helper the interfaces reader/writer calls. Not Proxmox code.
package PVE::JSONSchema;
use strict;
use warnings;

# Dotted-quad netmask -> prefix length, undef when it is not a contiguous mask.
sub get_netmask_bits {
    my ($mask) = @_;
    return undef if !defined($mask) || $mask !~ /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
    my $bin = join('', map { sprintf('%08b', $_) } ($1, $2, $3, $4));
    return undef if $bin !~ /^(1*)0*$/;
    return length($1);
}

sub get_standard_option { return {}; }
sub register_format { }
sub register_standard_option { }

1;
