// FirewallRule component: one filter rule on one firewall (e.g. the HA sync rules, on both nodes with the same tracker); position relative to the user's rules is explicit in the spec.
import * as pulumi from "@pulumi/pulumi";
import { FirewallRuleResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { FilterRuleInputSpec } from "../../providers/pfsense/resources/dynamic";

export type FirewallRuleArgs = ElementResourceArgs<FilterRuleInputSpec>;

export class FirewallRule extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the tracker, generated once when the spec has none). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  /** Same as identity. */
  readonly tracker: pulumi.Output<string>;
  constructor(name: string, args: FirewallRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:FirewallRuleComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new FirewallRuleResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.tracker = r.identity;
    this.registerOutputs({ identity: this.identity, tracker: this.tracker, configVersion: this.configVersion });
  }
}
