// DhcpFailover component (name kept for existing stacks): one network's ISC DHCP server, switched on with its range, gateway/DNS = the VIP and, with failover, the peer IP; Kea and, with failover, a secondary skew below 20 / a primary skew of 20 or more are refused.
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";

export type DhcpFailoverArgs = ElementArgsOf<"dhcpFailover">;

export class DhcpFailover extends PfSenseElement<"dhcpFailover"> {
  constructor(name: string, args: DhcpFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dhcpFailover", name, args, opts);
  }
}
