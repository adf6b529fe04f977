// The pfSense dynamic resource: one for every element kind, registered as `pulumi-nodejs:dynamic/pfsense-ha:pfsense:
// <resource>:Resource` with the kind's provider (elements/kinds.ts, each kind's descriptor). Inputs are
// { endpoint, allowUnknownVersion?, spec } (+ peerEndpoint/role for a `peer` kind such as hasync).
import * as pulumi from "../../pulumi-sdk";
import type { AnyElementDescriptor, NodeRole } from "../elements/descriptor";
import { ELEMENT_KINDS, type ElementKindName } from "../elements/kinds";
import type { SshEndpoint } from "../../ssh/types";
import { ProviderRefResource } from "../../provider-ref";
import { elementProvider } from "../../registry";
import type { ElementProvider } from "./element-provider";

/** The provider implementation of a kind (what its resources' `__provider` reference loads). */
export function providerOf(kind: ElementKindName): ElementProvider {
  return elementProvider(ELEMENT_KINDS[kind].provider);
}

export interface ElementResourceArgs<S> {
  endpoint: pulumi.Input<SshEndpoint>;
  allowUnknownVersion?: pulumi.Input<boolean>;
  spec: pulumi.Input<S>;
}

/** The arguments of a `peer` kind (hasync): the other firewall and this one's role. */
export interface PeerResourceArgs<S> extends ElementResourceArgs<S> {
  peerEndpoint?: pulumi.Input<SshEndpoint>;
  role?: pulumi.Input<NodeRole>;
}

/** The type token module of a kind's resource: `pfsense-ha:pfsense:<resource>`. */
export function resourceModuleOf(d: Pick<AnyElementDescriptor, "resource">): string {
  return `pfsense-ha:pfsense:${d.resource}`;
}

/**
 * One element on one firewall. `identity` = uniqid/tracker/name/key, `configVersion` = the box's <version>. Secret
 * in state, inputs and outputs alike: the endpoints (they may hold key content or a password) and, for a kind with
 * `secretSpec`, the spec.
 */
export class ElementResource extends ProviderRefResource {
  declare readonly identity: pulumi.Output<string>;
  declare readonly configVersion: pulumi.Output<string>;

  constructor(kind: ElementKindName, name: string, args: PeerResourceArgs<unknown>, opts?: pulumi.CustomResourceOptions) {
    const d: AnyElementDescriptor = ELEMENT_KINDS[kind];
    const props: pulumi.Inputs = {};
    const secret = ["endpoint"];
    if (d.peer) {
      props.role = args.role;
      if (args.peerEndpoint !== undefined) props.peerEndpoint = pulumi.secret(args.peerEndpoint);
      secret.push("peerEndpoint");
    }
    Object.assign(props, {
      endpoint: pulumi.secret(args.endpoint),
      allowUnknownVersion: args.allowUnknownVersion ?? false,
      spec: d.secretSpec ? pulumi.secret(args.spec) : args.spec,
      identity: undefined,
      configVersion: undefined,
    });
    if (d.secretSpec) secret.push("spec");
    super(d.provider, name, props, { ...opts, additionalSecretOutputs: secret }, resourceModuleOf(d));
  }
}
