// HaSyncConfig component: pfsync on both nodes, XMLRPC settings on the primary only. With peerEndpoint, create/update refuse when the two firewalls report different config versions (XMLRPC sync would refuse).
import type * as pulumi from "@pulumi/pulumi";
import { ElementComponent } from "./element-component";
import { HaSyncConfigResource, type HaSyncResourceArgs } from "../../providers/pfsense/resources/dynamic";

export type HaSyncConfigArgs = HaSyncResourceArgs;

export class HaSyncConfig extends ElementComponent {
  constructor(name: string, args: HaSyncConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("HaSyncConfig", name, (o) => new HaSyncConfigResource(name, args, o), opts);
  }
}
