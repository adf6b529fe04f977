// DhcpFailover component: the ISC DHCP pool range and failover keys (gateway/DNS = the VIP, peer IP); Kea and a secondary skew <= 20 are refused.
import * as pulumi from "@pulumi/pulumi";
import { DhcpFailoverResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { DhcpFailoverSpec } from "../../providers/pfsense/elements/dhcp";

export type DhcpFailoverArgs = ElementResourceArgs<DhcpFailoverSpec>;

export class DhcpFailover extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the interface name). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: DhcpFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:DhcpFailoverComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new DhcpFailoverResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
