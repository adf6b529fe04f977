// PfSenseInterface component: assignment and static IPv4 of wan/lan/optN on one firewall; a sync interface gets no blockpriv/blockbogons.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { PfSenseInterfaceResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { InterfaceSpec } from "../../providers/pfsense/elements/interface";

export type PfSenseInterfaceArgs = ElementResourceArgs<InterfaceSpec>;

export class PfSenseInterface extends ElementComponent {
  constructor(name: string, args: PfSenseInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("PfSenseInterface", name, (o) => new PfSenseInterfaceResource(name, args, o), opts);
  }
}
