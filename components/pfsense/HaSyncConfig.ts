// HaSyncConfig component: pfsync on both nodes, XMLRPC settings on the primary only. With peerEndpoint, create/update refuse when the two firewalls report different config versions (XMLRPC sync would refuse).
import type * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement } from "./element-component";
import type { PeerResourceArgs } from "../../providers/pfsense/resources/dynamic";
import type { HaSyncSpec } from "../../providers/pfsense/elements/hasync";

/** The firewall's endpoint and spec; with `peerEndpoint` (and `role`), the other firewall whose config version must match. */
export type HaSyncConfigArgs = PeerResourceArgs<HaSyncSpec>;

export class HaSyncConfig extends PfSenseElement<"haSync"> {
  constructor(name: string, args: HaSyncConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("haSync", name, args, opts);
  }
}
