// DhcpFailover component (name kept for existing stacks): one network's ISC DHCP server, switched on with its range, gateway/DNS = the VIP and, with failover, the peer IP; Kea and, with failover, a secondary skew below 20 / a primary skew of 20 or more are refused.
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
