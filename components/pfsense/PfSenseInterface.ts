// PfSenseInterface component: assignment and static IPv4 of wan/lan/optN on one firewall; a sync interface gets no blockpriv/blockbogons.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type PfSenseInterfaceArgs = ElementArgsOf<"interface">;

export class PfSenseInterface extends PfSenseElement<"interface"> {
  constructor(name: string, args: PfSenseInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("interface", name, args, opts);
  }
}
