// OneToOneNat component: a 1:1 NAT mapping whose external address is a WAN CARP VIP.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type OneToOneNatArgs = ElementArgsOf<"oneToOne">;

export class OneToOneNat extends PfSenseElement<"oneToOne"> {
  constructor(name: string, args: OneToOneNatArgs, opts?: pulumi.ComponentResourceOptions) {
    super("oneToOne", name, args, opts);
  }
}
