// CarpVip component: one CARP VIP on one firewall. For the secondary pass forNode("secondary", …)'s spec (primary's uniqid, skew +100 capped at 254, as XMLRPC sync writes it); the password and the whole spec are secret.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { CarpVipResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { CarpVipInputSpec } from "../../providers/pfsense/resources/dynamic";

export type CarpVipArgs = ElementResourceArgs<CarpVipInputSpec>;

export class CarpVip extends ElementComponent {
  /** Same as identity. */
  readonly uniqid: pulumi.Output<string>;
  constructor(name: string, args: CarpVipArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:CarpVipComponent", name, (o) => new CarpVipResource(name, args, o), opts);
    this.uniqid = this.identity;
  }
}
