// Alias component: one host/network alias on one firewall (e.g. both nodes' sync addresses), identified by name + descr marker.
import * as pulumi from "@pulumi/pulumi";
import { AliasResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { AliasSpec } from "../../providers/pfsense/elements/alias";

export type AliasArgs = ElementResourceArgs<AliasSpec>;

export class Alias extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the alias name). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: AliasArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:AliasComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new AliasResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
