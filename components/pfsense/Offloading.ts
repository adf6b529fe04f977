// Offloading component: hardware checksum offloading disabled on one firewall with VirtIO NICs.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { OffloadingResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { OffloadingSpec } from "../../providers/pfsense/elements/offloading";

export type OffloadingArgs = ElementResourceArgs<OffloadingSpec>;

export class Offloading extends ElementComponent {
  constructor(name: string, args: OffloadingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Offloading", name, (o) => new OffloadingResource(name, args, o), opts);
  }
}
