// PfSenseInterface component: assignment and static IPv4 of wan/lan/optN on one firewall; a sync interface gets no blockpriv/blockbogons.
import * as pulumi from "@pulumi/pulumi";
import { PfSenseInterfaceResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { InterfaceSpec } from "../../providers/pfsense/elements/interface";

export type PfSenseInterfaceArgs = ElementResourceArgs<InterfaceSpec>;

export class PfSenseInterface extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the interface name). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: PfSenseInterfaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:PfSenseInterfaceComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new PfSenseInterfaceResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
