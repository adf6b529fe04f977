// OvsBridge: an Open vSwitch bridge on one Proxmox node, persisted as a Proxmox-parseable OVSBridge stanza.
import * as pulumi from "../providers/pulumi-sdk";
import { OvsBridgeResource } from "../providers/ovs/resources";
import type { DatapathType } from "../providers/ovs/types";
import type { SshEndpoint } from "../providers/ssh/types";
import { COMPONENT_TOKENS, componentOptions } from "./tokens";

export interface OvsBridgeArgs {
  /** Proxmox node name (messages) and how to reach it. */
  node: pulumi.Input<string>;
  endpoint: pulumi.Input<SshEndpoint>;
  /** Bridge name, e.g. "vmbr1" (at most 15 characters). */
  bridgeName: pulumi.Input<string>;
  /** Physical NIC to enslave as uplink, e.g. "eno1". */
  uplink?: pulumi.Input<string>;
  mtu?: pulumi.Input<number>;
  /** "netdev" for the userspace datapath (lab/DPDK); default kernel ("system"). */
  datapathType?: pulumi.Input<DatapathType>;
  /** Manage a bridge that already exists and was not made by pfsense-ha. */
  adopt?: pulumi.Input<boolean>;
  /** On delete, remove the bridge even when foreign ports remain. */
  forceDelete?: pulumi.Input<boolean>;
}

export class OvsBridge extends pulumi.ComponentResource {
  readonly bridgeName: pulumi.Output<string>;
  readonly ports: pulumi.Output<string[]>;
  readonly bridge: OvsBridgeResource;

  constructor(name: string, args: OvsBridgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.OvsBridge.type, name, {}, componentOptions("OvsBridge", opts));
    this.bridge = new OvsBridgeResource(
      `${name}-bridge`,
      {
        node: args.node,
        endpoint: args.endpoint,
        name: args.bridgeName,
        uplink: args.uplink,
        mtu: args.mtu,
        datapathType: args.datapathType,
        adopt: args.adopt,
        forceDelete: args.forceDelete,
      },
      { parent: this },
    );
    this.bridgeName = this.bridge.name;
    this.ports = this.bridge.ports;
    this.registerOutputs({ bridgeName: this.bridgeName, ports: this.ports });
  }
}
