// CarpVip component: one CARP VIP on one firewall. The cluster creates one per node; for the secondary it passes
// the primary's uniqid and the skew XMLRPC sync would write (primary + 100, capped at 254).
import * as pulumi from "@pulumi/pulumi";
import { CarpVipResource } from "../../providers/pfsense/resources/dynamic";
import type { SshEndpoint } from "../../providers/ssh/types";

export interface CarpVipArgs {
  endpoint: pulumi.Input<SshEndpoint>;
  interface: pulumi.Input<string>;
  address: pulumi.Input<string>;
  /** The interface's mask, not /32 (pfSense requires the network's subnet mask). */
  subnetBits: pulumi.Input<number>;
  vhid: pulumi.Input<number>;
  advbase?: pulumi.Input<number>;
  advskew?: pulumi.Input<number>;
  password: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** Set on the secondary to the primary's uniqid (XMLRPC sync copies it). */
  uniqid?: pulumi.Input<string>;
  allowUnknownVersion?: pulumi.Input<boolean>;
}

/** The skew pfSense's XMLRPC sync writes on the secondary. */
export function secondarySkew(primarySkew: number): number {
  return Math.min(primarySkew + 100, 254);
}

export class CarpVip extends pulumi.ComponentResource {
  readonly uniqid: pulumi.Output<string>;
  readonly address: pulumi.Output<string>;
  constructor(name: string, args: CarpVipArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:CarpVipComponent", name, {}, opts);
    const vip = new CarpVipResource(
      name,
      {
        endpoint: args.endpoint,
        interface: args.interface,
        address: args.address,
        subnetBits: args.subnetBits,
        vhid: args.vhid,
        advbase: args.advbase ?? 1,
        advskew: args.advskew ?? 0,
        password: args.password,
        description: args.description ?? "pfsense-ha CARP VIP",
        uniqid: args.uniqid,
        allowUnknownVersion: args.allowUnknownVersion,
      },
      { parent: this },
    );
    this.uniqid = vip.uniqid;
    this.address = pulumi.output(args.address);
    this.registerOutputs({ uniqid: this.uniqid, address: this.address });
  }
}
