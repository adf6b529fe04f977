// Offloading component: hardware checksum offloading disabled on one firewall with VirtIO NICs.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type OffloadingArgs = ElementArgsOf<"offloading">;

export class Offloading extends PfSenseElement<"offloading"> {
  constructor(name: string, args: OffloadingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("offloading", name, args, opts);
  }
}
