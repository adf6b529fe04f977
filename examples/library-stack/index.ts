// A Pulumi program that uses pfsense-ha as a library, installed from its package (`npm pack` in pfsense-ha, then
// `npm install <path>/pfsense-ha-<version>.tgz` here): a whole HA pair from this stack's configuration, and a lone
// CARP VIP on another pfSense pair that already exists (nothing else of the cluster).
import * as pulumi from "@pulumi/pulumi";
import { CarpVip, PfSenseHaCluster, type ClusterSettings, type SshEndpoint } from "pfsense-ha";

const config = new pulumi.Config();

// The cluster in the same shape as `pfsense-ha:cluster` in pfsense-ha's own stack files; PfSenseHaCluster validates
// it (every problem at once, naming the key and the fix) and applies the defaults. The VMs use the `proxmoxve`
// provider of `providers` when given, else the `proxmoxve:*` stack config.
const ha = new PfSenseHaCluster("ha", {
  cluster: config.requireObject<ClusterSettings>("cluster"),
  carpPassword: config.requireSecret("carpPassword"),
  xmlrpcPassword: config.requireSecret("xmlrpcPassword"),
  sshPrivateKey: config.getSecret("sshPrivateKey"),
});

// A CARP VIP on an existing pair: written on the primary and, as pfSense's XMLRPC sync would, on the secondary.
const pair = config.requireObject<{ primary: SshEndpoint; secondary: SshEndpoint }>("otherPair");
const officeVip = new CarpVip("office-lan-vip", {
  interface: "lan",
  address: "10.20.0.1",
  prefix: 24,
  vhid: 20,
  password: config.requireSecret("officeCarpPassword"),
  advskew: 0,
  primary: pair.primary,
  secondary: pair.secondary,
});

export const gateway = ha.outputs.gateway;
export const nodes = ha.outputs.nodes;
export const officeVipUniqid = officeVip.uniqid;
