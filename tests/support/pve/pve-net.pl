#!/usr/bin/perl
# Drives Proxmox VE's own /etc/network/interfaces reader and writer (pve-common, loaded unmodified from an upstream
# tree) on a lab node, the way the GUI/API does (pve-manager PVE/API2/Network.pm): edits are read from
# interfaces.new when it exists, else interfaces, made under /etc/network/.pve-interfaces.lock and written by
# Proxmox's writer to interfaces.new; "Apply Configuration" renames interfaces.new over interfaces and runs
# `ifreload -a`. Written for the project's tests; the edit logic follows the API's documented behaviour, it is not
# Proxmox code.
#
# Usage (run inside the node; PVE = 8 or 9, TREE = the pve-common tree's src/, STUBS = tests/support/pve/stubs):
#   perl -I STUBS -I TREE pve-net.pl PVE read [FILE]           -> JSON {ifaces, options} as Proxmox parsed it
#   perl -I STUBS -I TREE pve-net.pl PVE write-check FILE       -> the text Proxmox's writer makes of FILE
#   perl -I STUBS -I TREE pve-net.pl PVE create IFACE JSON      -> POST /nodes/N/network (staged in interfaces.new)
#   perl -I STUBS -I TREE pve-net.pl PVE update IFACE JSON [DELETE,LIST]  -> PUT /nodes/N/network/IFACE
#   perl -I STUBS -I TREE pve-net.pl PVE delete IFACE           -> DELETE /nodes/N/network/IFACE
#   perl -I STUBS -I TREE pve-net.pl PVE apply                  -> PUT /nodes/N/network (reload): exit code of ifreload
# Errors: message on stderr, exit 2 (Proxmox refused), exit 1 (usage).
use strict;
use warnings;
use JSON;

my ($pve, $cmd, @args) = @ARGV;
die "usage: pve-net.pl 8|9 read|write-check|create|update|delete|apply ...\n" if !$pve || $pve !~ /^[89]$/ || !$cmd;

my ($read_fn, $write_fn);
if ($pve eq '9') {
    require PVE::Network::Interfaces;
    $read_fn = \&PVE::Network::Interfaces::__read_etc_network_interfaces;
    $write_fn = \&PVE::Network::Interfaces::__write_etc_network_interfaces;
} else {
    require PVE::INotify;
    $read_fn = \&PVE::INotify::__read_etc_network_interfaces;
    $write_fn = \&PVE::INotify::__write_etc_network_interfaces;
}

my $MAIN = '/etc/network/interfaces';
my $NEW = '/etc/network/interfaces.new';
my $LOCK = '/etc/network/.pve-interfaces.lock';

sub ip_links {
    my $json = `ip -details -json link show`;
    die "ip -details -json link show failed\n" if $? != 0;
    return { map { $_->{ifname} => $_ } @{ decode_json($json) } };
}

sub active_ifaces {
    require PVE::ProcFSTools;
    return PVE::ProcFSTools::get_active_network_interfaces();
}

sub parse_file {
    my ($file) = @_;
    open(my $fh, '<', $file) or die "cannot open $file: $!\n";
    my $config = $read_fn->($fh, ip_links(), active_ifaces());
    close($fh);
    return $config;
}

# What the GUI reads: the staged file when there is one.
sub gui_file { return -e $NEW ? $NEW : $MAIN; }

sub write_new {
    my ($config) = @_;
    my $raw = $write_fn->($config, 1);
    open(my $fh, '>', "$NEW.tmp") or die "cannot write $NEW.tmp: $!\n";
    print $fh $raw;
    close($fh) or die "cannot write $NEW.tmp: $!\n";
    rename("$NEW.tmp", $NEW) or die "cannot rename to $NEW: $!\n";
}

sub ports_of {
    my ($d) = @_;
    return grep { length } map { split(/\s+/, $d->{$_} // '') } qw(bridge_ports ovs_ports slaves ovs_bonds);
}

# The API's own parameter checks that matter for bridges and ports (duplicate ports, OVS bridge membership).
sub gui_checks {
    my ($ifaces, $iface, $param) = @_;
    my %new = map { $_ => 1 } ports_of($param);
    for my $other (sort keys %$ifaces) {
        next if $other eq $iface;
        for my $p (ports_of($ifaces->{$other})) {
            die "$p is already used on interface '$other'.\n" if $new{$p};
        }
    }
}

sub families_of {
    my ($param) = @_;
    my @f;
    push @f, 'inet' if $param->{address};
    push @f, 'inet6' if $param->{address6};
    return @f ? \@f : ['inet'];
}

sub with_lock {
    my ($code) = @_;
    require PVE::Tools;
    my $res = PVE::Tools::lock_file($LOCK, 10, $code);
    die $@ if $@;
    return $res;
}

sub cidr_to_address {
    my ($param) = @_;
    if (my $cidr = delete $param->{cidr}) {
        my ($a, $bits) = split('/', $cidr);
        $param->{address} = $a;
        $param->{netmask} = $bits;
    }
}

my $rc = 0;
eval {
    if ($cmd eq 'read') {
        my $config = parse_file($args[0] // gui_file());
        print JSON->new->canonical->allow_nonref->encode($config), "\n";
    } elsif ($cmd eq 'write-check') {
        my $config = parse_file($args[0] // gui_file());
        print $write_fn->($config, 1);
    } elsif ($cmd eq 'create') {
        my ($iface, $json) = @args;
        my $param = decode_json($json);
        with_lock(sub {
            my $config = parse_file(gui_file());
            my $ifaces = $config->{ifaces};
            die "iface: interface already exists\n" if $ifaces->{$iface};
            gui_checks($ifaces, $iface, $param);
            cidr_to_address($param);
            $param->{families} = families_of($param);
            $param->{method} = $param->{address} ? 'static' : 'manual';
            $param->{method6} = $param->{address6} ? 'static' : 'manual';
            if (($param->{type} // '') =~ /^OVS/ && !-x '/usr/bin/ovs-vsctl') {
                die "Open VSwitch is not installed (need package 'openvswitch-switch')\n";
            }
            if (($param->{type} // '') eq 'OVSIntPort' || ($param->{type} // '') eq 'OVSBond') {
                my $brname = $param->{ovs_bridge} or die "ovs_bridge: parameter is required\n";
                my $br = $ifaces->{$brname} or die "ovs_bridge: bridge '$brname' does not exist\n";
                die "ovs_bridge: interface '$brname' is no OVS bridge\n" if $br->{type} ne 'OVSBridge';
                my @ports = split(/\s+/, $br->{ovs_ports} || '');
                $br->{ovs_ports} = join(' ', @ports, $iface) if !grep { $_ eq $iface } @ports;
            }
            $ifaces->{$iface} = $param;
            write_new($config);
        });
    } elsif ($cmd eq 'update') {
        my ($iface, $json, $delete) = @args;
        my $param = decode_json($json);
        with_lock(sub {
            my $config = parse_file(gui_file());
            my $ifaces = $config->{ifaces};
            die "iface: interface does not exist\n" if !$ifaces->{$iface};
            for my $k (grep { length } split(/,/, $delete // '')) {
                delete $ifaces->{$iface}->{$k};
            }
            cidr_to_address($param);
            gui_checks($ifaces, $iface, $param);
            my $d = $ifaces->{$iface};
            $param->{families} = families_of({ %$d, %$param });
            $param->{method} = ($param->{address} // $d->{address}) ? 'static' : 'manual';
            $param->{method6} = ($param->{address6} // $d->{address6}) ? 'static' : 'manual';
            $d->{$_} = $param->{$_} for keys %$param;
            write_new($config);
        });
    } elsif ($cmd eq 'delete') {
        my ($iface) = @args;
        with_lock(sub {
            my $config = parse_file(gui_file());
            my $ifaces = $config->{ifaces};
            my $d = $ifaces->{$iface} or die "iface: interface does not exist\n";
            if ((($d->{type} // '') eq 'OVSIntPort' || ($d->{type} // '') eq 'OVSBond') && $d->{ovs_bridge}) {
                if (my $br = $ifaces->{ $d->{ovs_bridge} }) {
                    $br->{ovs_ports} = join(' ', grep { $_ ne $iface } split(/\s+/, $br->{ovs_ports} // ''));
                }
            }
            delete $ifaces->{$iface};
            write_new($config);
        });
    } elsif ($cmd eq 'apply') {
        rename($NEW, $MAIN) or die "cannot rename $NEW: $!\n" if -e $NEW;
        system('ifreload', '-a');
        $rc = $? >> 8;
    } else {
        die "unknown command '$cmd'\n";
    }
};
if (my $err = $@) {
    print STDERR $err;
    exit 2;
}
exit $rc;
