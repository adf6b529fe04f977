// FirewallRule component: one filter rule on one firewall (e.g. the HA sync rules, on both nodes with the same tracker); position relative to the user's rules is explicit in the spec.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { FirewallRuleResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { FilterRuleInputSpec } from "../../providers/pfsense/resources/dynamic";

export type FirewallRuleArgs = ElementResourceArgs<FilterRuleInputSpec>;

export class FirewallRule extends ElementComponent {
  /** Same as identity. */
  readonly tracker: pulumi.Output<string>;
  constructor(name: string, args: FirewallRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("FirewallRule", name, (o) => new FirewallRuleResource(name, args, o), opts);
    this.tracker = this.identity;
  }
}
