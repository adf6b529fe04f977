// OneToOneNat component: a 1:1 NAT mapping whose external address is a WAN CARP VIP.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { OneToOneNatResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { OneToOneSpec } from "../../providers/pfsense/elements/one-to-one";

export type OneToOneNatArgs = ElementResourceArgs<OneToOneSpec>;

export class OneToOneNat extends ElementComponent {
  constructor(name: string, args: OneToOneNatArgs, opts?: pulumi.ComponentResourceOptions) {
    super("OneToOneNat", name, (o) => new OneToOneNatResource(name, args, o), opts);
  }
}
