// OutboundNatRule component: outbound NAT switched to hybrid + one rule translating an inside subnet to the WAN CARP VIP (schema per version).
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type OutboundNatRuleArgs = ElementArgsOf<"outboundNat">;

export class OutboundNatRule extends PfSenseElement<"outboundNat"> {
  constructor(name: string, args: OutboundNatRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("outboundNat", name, args, opts);
  }
}
