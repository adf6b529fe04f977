// DhcpFailover component: the ISC DHCP pool range and failover keys (gateway/DNS = the VIP, peer IP); Kea and a secondary skew below 20 / a primary skew of 20 or more are refused.
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { DhcpFailoverResource, type ElementResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { DhcpFailoverSpec } from "../../providers/pfsense/elements/dhcp";

export type DhcpFailoverArgs = ElementResourceArgs<DhcpFailoverSpec>;

export class DhcpFailover extends ElementComponent {
  constructor(name: string, args: DhcpFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("DhcpFailover", name, (o) => new DhcpFailoverResource(name, args, o), opts);
  }
}
