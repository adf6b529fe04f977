// VpnBinding component: an existing OpenVPN instance or IPsec phase 1 bound to a CARP VIP (interface _vip<uniqid>).
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type VpnBindingArgs = ElementArgsOf<"vpnBinding">;

export class VpnBinding extends PfSenseElement<"vpnBinding"> {
  constructor(name: string, args: VpnBindingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vpnBinding", name, args, opts);
  }
}
