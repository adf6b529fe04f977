# Stand-in for the few PVE::Tools functions that Proxmox's /etc/network/interfaces reader/writer calls (pve-common's
# INotify.pm / Network/Interfaces.pm). Written for the project's tests; not Proxmox code.
package PVE::Tools;
use strict;
use warnings;
use Fcntl qw(:flock);
use base 'Exporter';
our @EXPORT_OK = qw(run_command lock_file split_list file_set_contents file_read_firstline safe_print);

# A plain IPv4 or IPv6 literal (only the resolv.conf reader uses it).
our $IPV4RE = qr/(?:\d{1,3}\.){3}\d{1,3}/;
our $IPV6RE = qr/[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/;
our $IPRE = qr/(?:$IPV4RE|$IPV6RE)/;

sub split_list {
    my ($text) = @_;
    return () if !defined($text);
    return grep { length } split(/[\s,;\0]+/, $text);
}

sub safe_print {
    my ($filename, $fh, $data) = @_;
    return if !$data;
    print $fh $data or die "write to '$filename' failed: $!\n";
}

sub file_set_contents {
    my ($filename, $data, $perm) = @_;
    my $tmp = "$filename.tmp.$$";
    open(my $fh, '>', $tmp) or die "unable to open '$tmp': $!\n";
    print $fh $data;
    close($fh) or die "unable to write '$tmp': $!\n";
    chmod($perm // 0644, $tmp);
    rename($tmp, $filename) or die "unable to rename '$tmp' to '$filename': $!\n";
}

sub file_read_firstline {
    my ($filename) = @_;
    open(my $fh, '<', $filename) or return undef;
    my $line = <$fh>;
    close($fh);
    chomp $line if defined $line;
    return $line;
}

# flock on the lock file with a timeout in seconds; the code's error is left in $@ as Proxmox's callers expect.
sub lock_file {
    my ($filename, $timeout, $code, @param) = @_;
    my $res;
    eval {
        open(my $fh, '>>', $filename) or die "can't open lock file '$filename' - $!\n";
        my $deadline = time() + ($timeout // 10);
        while (!flock($fh, LOCK_EX | LOCK_NB)) {
            die "can't lock file '$filename' - got timeout\n" if time() >= $deadline;
            select(undef, undef, undef, 0.1);
        }
        $res = $code->(@param);
        close($fh);
    };
    return $res;
}

sub run_command {
    my ($cmd, %opts) = @_;
    my @argv = ref($cmd) ? @$cmd : ('/bin/sh', '-c', $cmd);
    open(my $out, '-|', @argv) or die "cannot run '@argv': $!\n";
    while (defined(my $line = <$out>)) {
        chomp $line;
        $opts{outfunc}->($line) if $opts{outfunc};
    }
    close($out);
    die "command '@argv' failed: exit code " . ($? >> 8) . "\n" if $? != 0 && !$opts{noerr};
    return $?;
}

sub upid_decode { return undef; }

1;
