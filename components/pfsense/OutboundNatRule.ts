// OutboundNatRule component: outbound NAT switched to hybrid + one rule translating an inside subnet to the WAN CARP VIP (schema per version).
import * as pulumi from "@pulumi/pulumi";
import { OutboundNatRuleResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { OutboundNatSpec } from "../../providers/pfsense/elements/outbound-nat";

export type OutboundNatRuleArgs = ElementResourceArgs<OutboundNatSpec>;

export class OutboundNatRule extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the marker key). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: OutboundNatRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:OutboundNatRuleComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new OutboundNatRuleResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
