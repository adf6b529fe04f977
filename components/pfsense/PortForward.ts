// PortForward component: a port forward to a WAN CARP VIP with its linked filter rule, as pfSense's GUI adds it.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { PortForwardResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { PortForwardSpec } from "../../providers/pfsense/elements/port-forward";

export type PortForwardArgs = ElementResourceArgs<PortForwardSpec>;

export class PortForward extends ElementComponent {
  constructor(name: string, args: PortForwardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("PortForward", name, (o) => new PortForwardResource(name, args, o), opts);
  }
}
