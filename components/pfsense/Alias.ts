// Alias component: one host/network alias on one firewall (e.g. both nodes' sync addresses), identified by name + descr marker.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type AliasArgs = ElementArgsOf<"alias">;

export class Alias extends PfSenseElement<"alias"> {
  constructor(name: string, args: AliasArgs, opts?: pulumi.ComponentResourceOptions) {
    super("alias", name, args, opts);
  }
}
