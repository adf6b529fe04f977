// Gateway component: a static IPv4 gateway on one firewall, set as its interface's gateway and (defaultGateway) the
// IPv4 default route. Both firewalls get the same spec, as XMLRPC sync (synchronizestaticroutes) would copy it.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type GatewayArgs = ElementArgsOf<"gateway">;

export class Gateway extends PfSenseElement<"gateway"> {
  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gateway", name, args, opts);
  }
}
