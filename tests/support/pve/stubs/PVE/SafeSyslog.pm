# Stand-in for PVE::SafeSyslog: messages go to stderr. Not Proxmox code.
package PVE::SafeSyslog;
use strict;
use warnings;
use base 'Exporter';
our @EXPORT = qw(syslog initlog);

sub syslog { my ($level, $fmt, @args) = @_; printf STDERR "syslog %s: $fmt\n", $level, @args; }
sub initlog { }

1;
