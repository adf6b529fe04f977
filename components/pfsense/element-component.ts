// The component of every pfSense element kind: one element on one firewall, as one generic resource (the kind's
// descriptor, providers/pfsense/elements/kinds.ts) under a component of the kind's own type token, with the
// element's identity and the config version it was written to as outputs. The named components users write
// (Alias, FirewallRule, OutboundNatRule, …) are this one for their kind.
import * as pulumi from "../../providers/pulumi-sdk";
import { ELEMENT_KINDS, type ElementKindName, type SpecOf } from "../../providers/pfsense/elements/kinds";
import { ElementResource, type ElementResourceArgs, type PeerResourceArgs } from "../../providers/pfsense/resources/dynamic";
import { componentOptions, elementComponentToken } from "../tokens";

/** The arguments of the component of kind `K`: the firewall's endpoint, the version override and the spec. */
export type ElementArgsOf<K extends ElementKindName, S = SpecOf<K>> = ElementResourceArgs<S>;

export class PfSenseElement<K extends ElementKindName = ElementKindName> extends pulumi.ComponentResource {
  /** The element's identity on the firewall (uniqid, tracker, name or marker key). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;

  constructor(kind: K, name: string, args: PeerResourceArgs<unknown>, opts?: pulumi.ComponentResourceOptions) {
    const token = elementComponentToken(ELEMENT_KINDS[kind]);
    super(token.type, name, {}, componentOptions(token, opts));
    // dependsOn on a component is not inherited by its children: forward it
    const r = new ElementResource(kind, name, args, { parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}
