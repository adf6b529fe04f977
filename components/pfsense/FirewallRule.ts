// FirewallRule component: one filter rule on one firewall; the HA sync rules are created on both nodes with the
// same tracker (pass the primary's `tracker` output to the secondary's instance).
import * as pulumi from "@pulumi/pulumi";
import { FirewallRuleResource } from "../../providers/pfsense/resources/dynamic";
import type { SshEndpoint } from "../../providers/ssh/types";

export interface FirewallRuleArgs {
  endpoint: pulumi.Input<SshEndpoint>;
  interface: pulumi.Input<string>;
  type?: pulumi.Input<"pass" | "block" | "reject">;
  ipprotocol?: pulumi.Input<"inet" | "inet6" | "inet46">;
  protocol?: pulumi.Input<string>;
  source?: pulumi.Input<string>;
  destination?: pulumi.Input<string>;
  destinationPort?: pulumi.Input<string>;
  description: pulumi.Input<string>;
  /** Relative to the user's own rules on that interface: "top" (default) = before them. */
  position?: pulumi.Input<"top" | "bottom">;
  tracker?: pulumi.Input<number>;
  allowUnknownVersion?: pulumi.Input<boolean>;
}

export class FirewallRule extends pulumi.ComponentResource {
  readonly tracker: pulumi.Output<number>;
  constructor(name: string, args: FirewallRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:FirewallRuleComponent", name, {}, opts);
    const rule = new FirewallRuleResource(
      name,
      {
        endpoint: args.endpoint,
        interface: args.interface,
        type: args.type ?? "pass",
        ipprotocol: args.ipprotocol ?? "inet",
        protocol: args.protocol,
        source: args.source ?? "any",
        destination: args.destination ?? "any",
        destinationPort: args.destinationPort,
        description: args.description,
        position: args.position ?? "top",
        tracker: args.tracker,
        allowUnknownVersion: args.allowUnknownVersion,
      },
      { parent: this },
    );
    this.tracker = rule.tracker;
    this.registerOutputs({ tracker: this.tracker });
  }
}
