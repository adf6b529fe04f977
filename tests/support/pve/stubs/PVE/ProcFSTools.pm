# Stand-in for PVE::ProcFSTools: the list of interfaces that are up (names in /sys/class/net with IFF_UP set).
# Not Proxmox code.
package PVE::ProcFSTools;
use strict;
use warnings;

use constant IFNAMSIZ => 16;

sub get_active_network_interfaces {
    my @up;
    opendir(my $d, '/sys/class/net') or return [];
    for my $name (sort grep { !/^\./ } readdir($d)) {
        open(my $fh, '<', "/sys/class/net/$name/flags") or next;
        my $flags = <$fh>;
        chomp $flags if defined $flags;
        close($fh);
        push @up, $name if defined($flags) && (hex($flags =~ s/^0x//r) & 1);
    }
    closedir($d);
    return \@up;
}

sub write_proc_entry { }

1;
