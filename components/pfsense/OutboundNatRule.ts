// OutboundNatRule component: outbound NAT switched to hybrid + one rule translating an inside subnet to the WAN CARP VIP (schema per version).
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { OutboundNatRuleResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { OutboundNatSpec } from "../../providers/pfsense/elements/outbound-nat";

export type OutboundNatRuleArgs = ElementResourceArgs<OutboundNatSpec>;

export class OutboundNatRule extends ElementComponent {
  constructor(name: string, args: OutboundNatRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("OutboundNatRule", name, (o) => new OutboundNatRuleResource(name, args, o), opts);
  }
}
