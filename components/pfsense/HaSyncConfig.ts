// HaSyncConfig component: pfsync on both nodes, XMLRPC settings on the primary only. With peerEndpoint, create/update refuse when the two firewalls report different config versions (XMLRPC sync would refuse).
import * as pulumi from "@pulumi/pulumi";
import { HaSyncConfigResource, type HaSyncResourceArgs } from "../../providers/pfsense/resources/dynamic";

export type HaSyncConfigArgs = HaSyncResourceArgs;

export class HaSyncConfig extends pulumi.ComponentResource {
  /** The element's identity on the firewall ("hasync"). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: HaSyncConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:pfsense:HaSyncConfigComponent", name, {}, opts);
    // dependsOn on a component is not inherited by its children: forward it
    const r = new HaSyncConfigResource(name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
