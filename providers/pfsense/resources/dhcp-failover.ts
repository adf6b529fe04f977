// DhcpFailover: the pool range and HA keys of one ISC DHCP server (elements/dhcp.ts), identified by its interface. Skew rules are
// checked before any host is touched; the Kea refusal, the missing server and the range inside the box's own subnet need its config.
import { child, childrenByTag, getPath, textIn } from "../codec-tree";
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
    const found = readDhcpFailover(doc, i.spec.interface);
    // role and skew are not stored in dhcpd (services.inc derives the role from the CARP skew): keep ours
    return found === undefined ? undefined : { ...found, role: i.spec.role, advskew: i.spec.advskew };
  },
  // The failover peer removed by hand while our gateway/DNS keys are still there: drift (no peer), not gone.
  partial: (doc, i) => {
    const s = getPath(doc.root, `dhcpd/${i.spec.interface}`);
    if (s === undefined || (child(s, "gateway") === undefined && child(s, "dnsserver") === undefined)) return undefined;
    return {
      ...i.spec,
      rangeFrom: textIn(doc, getPath(s, "range/from")) ?? "", rangeTo: textIn(doc, getPath(s, "range/to")) ?? "",
      gateway: textIn(doc, child(s, "gateway")) ?? "", dnsServers: childrenByTag(s, "dnsserver").map((e) => textIn(doc, e) ?? ""),
      failoverPeerIp: "",
    };
  },
  secrets: () => [],
};
