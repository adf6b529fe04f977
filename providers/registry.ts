// Every dynamic provider implementation, by name: the two Open vSwitch ones and one per pfSense element kind (the
// registry of kinds, providers/pfsense/elements/kinds.ts). The serialized `__provider` of each resource is only a
// reference (providers/provider-ref.ts) that loads this module in Pulumi's provider host at call time.
import { OvsBridgeProvider } from "./ovs/bridgeProvider";
import { VxlanNodeProvider } from "./ovs/tunnelProvider";
import { ElementProvider } from "./pfsense/resources/element-provider";
import { ELEMENT_KINDS } from "./pfsense/elements/kinds";

type AnyProvider = OvsBridgeProvider | VxlanNodeProvider | ElementProvider;

export const PROVIDERS: { ovsBridge: OvsBridgeProvider; vxlanNode: VxlanNodeProvider; [name: string]: AnyProvider } = {
  ovsBridge: new OvsBridgeProvider(),
  vxlanNode: new VxlanNodeProvider(),
  ...Object.fromEntries(Object.values(ELEMENT_KINDS).map((d) => [d.provider, new ElementProvider(d)])),
};

/** The provider of an element kind, by its descriptor's provider name. */
export function elementProvider(provider: string): ElementProvider {
  const p = PROVIDERS[provider];
  if (!(p instanceof ElementProvider)) throw new Error(`pfsense-ha: no element provider ${provider}`);
  return p;
}

export type ProviderName = string;
