// CarpVip component: one CARP VIP on one firewall. For the secondary pass forNode("secondary", …)'s spec (primary's uniqid, skew +100 capped at 254, as XMLRPC sync writes it); the password and the whole spec are secret.
import * as pulumi from "@pulumi/pulumi";
import { CarpVipResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { CarpVipInputSpec } from "../../providers/pfsense/resources/dynamic";

export type CarpVipArgs = ElementResourceArgs<CarpVipInputSpec>;

export class CarpVip extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the uniqid, generated once when the spec has none). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  /** Same as identity. */
  readonly uniqid: pulumi.Output<string>;
  constructor(name: string, args: CarpVipArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:CarpVipComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new CarpVipResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.uniqid = r.identity;
    this.registerOutputs({ identity: this.identity, uniqid: this.uniqid, configVersion: this.configVersion });
  }
}
