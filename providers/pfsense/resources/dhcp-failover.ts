// DhcpFailover: one ISC DHCP server (elements/dhcp.ts): switched on, its range, gateway/DNS = the VIP and, when asked,
// the failover peer; identified by its interface. Skew rules are checked before any host is touched; the Kea refusal
// and the range inside the box's own subnet need its config.
import { readDhcpFailover, removeDhcpFailover, upsertDhcpFailover, validateDhcpFailoverSpec, type DhcpFailoverSpec } from "../elements/dhcp";
import type { ElementInputs, ElementKind } from "./element-provider";

export type DhcpFailoverInputs = ElementInputs<DhcpFailoverSpec>;

export const dhcpFailoverKind: ElementKind<DhcpFailoverSpec, DhcpFailoverInputs> = {
  kind: "DhcpFailover",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.interface,
  validate: (i) => validateDhcpFailoverSpec(i.spec),
  upsert: (doc, i) => void upsertDhcpFailover(doc, i.spec),
  remove: (doc, i) => void removeDhcpFailover(doc, i.spec.interface),
  read: (doc, i) => {
    // Found while any of our keys is there: a peer removed by hand or the server switched off is drift, not gone.
    const found = readDhcpFailover(doc, i.spec.interface);
    // role and skew are not stored in dhcpd (services.inc derives the role from the CARP skew): keep ours
    return found === undefined ? undefined : { ...found, role: i.spec.role, advskew: i.spec.advskew };
  },
  secrets: () => [],
};
