// Every pfSense element kind, one line each, in apply order (the cluster's plan lists its items in this order and
// its stages follow it). The key is the kind's name in the plan; the descriptor (each kind's own file) says
// everything else. Adding a kind: its file (spec, checks, config.xml mapping, descriptor) and one line here.
import type { ElementItemOf } from "./descriptor";
import { interfaceElement } from "./interface";
import { gatewayElement } from "./gateway";
import { offloadingElement } from "./offloading";
import { carpVipElement } from "./carp-vip";
import { haSyncElement } from "./hasync";
import { aliasElement } from "./alias";
import { filterRuleElement } from "./filter-rule";
import { outboundNatElement } from "./outbound-nat";
import { portForwardElement } from "./port-forward";
import { oneToOneElement } from "./one-to-one";
import { vpnBindingElement } from "./vpn-binding";
import { dhcpFailoverElement } from "./dhcp";

export const ELEMENT_KINDS = {
  interface: interfaceElement,
  gateway: gatewayElement,
  offloading: offloadingElement,
  carpVip: carpVipElement,
  haSync: haSyncElement,
  alias: aliasElement,
  filterRule: filterRuleElement,
  outboundNat: outboundNatElement,
  portForward: portForwardElement,
  oneToOne: oneToOneElement,
  vpnBinding: vpnBindingElement,
  dhcpFailover: dhcpFailoverElement,
};

export type ElementKindName = keyof typeof ELEMENT_KINDS;

/** The registered kinds, in apply order. */
export const ELEMENT_KIND_NAMES = Object.keys(ELEMENT_KINDS) as ElementKindName[];

/** One element of some kind as the plan holds it: `{ kind, spec }` and the extra fields its mirror needs. */
export type ElementItem = { [K in ElementKindName]: ElementItemOf<K, (typeof ELEMENT_KINDS)[K]> }[ElementKindName];

/** The spec type of a kind. */
export type SpecOf<K extends ElementKindName> = Extract<ElementItem, { kind: K }>["spec"];
