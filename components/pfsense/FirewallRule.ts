// FirewallRule component: one filter rule on one firewall (e.g. the HA sync rules, on both nodes with the same tracker); position relative to the user's rules is explicit in the spec.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";
import type { FilterRuleInputSpec } from "../../providers/pfsense/elements/filter-rule";

export type FirewallRuleArgs = ElementArgsOf<"filterRule", FilterRuleInputSpec>;

export class FirewallRule extends PfSenseElement<"filterRule"> {
  /** Same as identity. */
  readonly tracker: pulumi.Output<string>;
  constructor(name: string, args: FirewallRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("filterRule", name, args, opts);
    this.tracker = this.identity;
  }
}
