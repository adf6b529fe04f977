// Gateway component: a static IPv4 gateway on one firewall, set as its interface's gateway and (defaultGateway) the
// IPv4 default route. Both firewalls get the same spec, as XMLRPC sync (synchronizestaticroutes) would copy it.
import * as pulumi from "@pulumi/pulumi";
import { GatewayResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { GatewaySpec } from "../../providers/pfsense/elements/gateway";

export type GatewayArgs = ElementResourceArgs<GatewaySpec>;

export class Gateway extends pulumi.ComponentResource {
  /** The element's identity on the firewall (the gateway name). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:GatewayComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new GatewayResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
