// The dynamic resources. The provider objects are captured by Pulumi's closure serializer into `__provider`.
import * as pulumi from "../pulumi-sdk";
import { ProviderRefResource } from "../provider-ref";
import { PROVIDERS } from "../registry";
import type { DatapathType, OvsBridgeInputs, TunnelPeer, TunnelPortState, VxlanNodeInputs } from "./types";
import type { SshEndpoint } from "../ssh/types";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export const bridgeProvider = PROVIDERS.ovsBridge;
export const vxlanNodeProvider = PROVIDERS.vxlanNode;

// Credentials in the endpoint (a key or password) must not land in plain state.
const SECRET_OUTS = ["endpoint"];

export class OvsBridgeResource extends ProviderRefResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly ports: pulumi.Output<string[]>;
  declare readonly present: pulumi.Output<boolean>;
  declare readonly persisted: pulumi.Output<boolean>;
  declare readonly datapathType: pulumi.Output<DatapathType | undefined>;
  constructor(name: string, args: Inputs<OvsBridgeInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      "ovsBridge",
      name,
      { ports: undefined, present: undefined, persisted: undefined, stateVersion: undefined, ...args },
      { ...opts, additionalSecretOutputs: SECRET_OUTS },
      "pfsense-ha:ovs:Bridge",
    );
  }
}

export class VxlanNodeResource extends ProviderRefResource {
  declare readonly ports: pulumi.Output<TunnelPortState[]>;
  constructor(name: string, args: Inputs<VxlanNodeInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      "vxlanNode",
      name,
      { ports: undefined, stateVersion: undefined, ...args },
      { ...opts, additionalSecretOutputs: SECRET_OUTS },
      "pfsense-ha:ovs:VxlanNode",
    );
  }
}

export type { DatapathType, SshEndpoint, TunnelPeer };
