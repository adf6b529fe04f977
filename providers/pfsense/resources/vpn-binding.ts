// VpnBinding: a human's OpenVPN instance (by vpnid) or IPsec phase 1 (by ikeid) bound to a CARP VIP
// (elements/vpn-binding.ts). Identity: the instance. Delete puts the instance's remembered interface back; the
// instance itself is never created or removed.
import { readVpnBinding, removeVpnBinding, upsertVpnBinding, validateVpnBinding, type VpnBindingSpec } from "../elements/vpn-binding";
import type { ElementInputs, ElementKind } from "./element-provider";

export type VpnBindingInputs = ElementInputs<VpnBindingSpec>;

export const vpnBindingKind: ElementKind<VpnBindingSpec, VpnBindingInputs> = {
  kind: "VpnBinding",
  normalize: (_olds, news) => news,
  identity: (i) => `${i.spec.vpn}/${i.spec.id}`,
  validate: (i) => validateVpnBinding(i.spec),
  upsert: (doc, i) => void upsertVpnBinding(doc, i.spec),
  remove: (doc, i) => void removeVpnBinding(doc, i.spec),
  read: (doc, i) => readVpnBinding(doc, i.spec.vpn, i.spec.id),
  secrets: () => [],
};
