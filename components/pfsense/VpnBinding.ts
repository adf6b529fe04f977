// VpnBinding component: an existing OpenVPN instance or IPsec phase 1 bound to a CARP VIP (interface _vip<uniqid>).
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { VpnBindingResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { VpnBindingSpec } from "../../providers/pfsense/elements/vpn-binding";

export type VpnBindingArgs = ElementResourceArgs<VpnBindingSpec>;

export class VpnBinding extends ElementComponent {
  constructor(name: string, args: VpnBindingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("VpnBinding", name, (o) => new VpnBindingResource(name, args, o), opts);
  }
}
