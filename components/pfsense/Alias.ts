// Alias component: one host/network alias on one firewall (e.g. both nodes' sync addresses), identified by name + descr marker.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { AliasResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { AliasSpec } from "../../providers/pfsense/elements/alias";

export type AliasArgs = ElementResourceArgs<AliasSpec>;

export class Alias extends ElementComponent {
  constructor(name: string, args: AliasArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Alias", name, (o) => new AliasResource(name, args, o), opts);
  }
}
