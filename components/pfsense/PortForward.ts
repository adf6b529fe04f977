// PortForward component: a port forward to a WAN CARP VIP with its linked filter rule, as pfSense's GUI adds it.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type PortForwardArgs = ElementArgsOf<"portForward">;

export class PortForward extends PfSenseElement<"portForward"> {
  constructor(name: string, args: PortForwardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("portForward", name, args, opts);
  }
}
