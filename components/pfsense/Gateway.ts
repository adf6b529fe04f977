// Gateway component: a static IPv4 gateway on one firewall, set as its interface's gateway and (defaultGateway) the
// IPv4 default route. Both firewalls get the same spec, as XMLRPC sync (synchronizestaticroutes) would copy it.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { GatewayResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { GatewaySpec } from "../../providers/pfsense/elements/gateway";

export type GatewayArgs = ElementResourceArgs<GatewaySpec>;

export class Gateway extends ElementComponent {
  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Gateway", name, (o) => new GatewayResource(name, args, o), opts);
  }
}
