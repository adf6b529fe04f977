// A human's VPN instance bound to a CARP VIP, so it follows the MASTER on failover: an OpenVPN server or client
// (<openvpn><openvpn-server|openvpn-client>, identified by <vpnid>, unique across both lists: openvpn_vpnid_next())
// or an IPsec phase 1 (<ipsec><phase1>, identified by <ikeid>). The reference is what pfSense's GUI writes for a VIP
// on both the 2.7.2 and the 24.1 tree: `_vip<uniqid>` (util.inc get_configured_vip_list(); the older
// `<if>_vip<vhid>` form exists only in upgrade_config.inc, which rewrites it to `_vip<uniqid>`).
// - OpenVPN (vpn_openvpn_server.php / vpn_openvpn_client.php): the interface list entry is "_vip<uniqid>|<address>",
//   saved as `interface` = _vip<uniqid> and `ipaddr` = the VIP address; openvpn.inc then writes `local <ipaddr>`.
// - IPsec phase 1 (vpn_ipsec_phase1.php): `interface` = _vip<uniqid>; no address of its own.
// The instance stays the human's: the stack owns only the binding. Before the first bind, the instance's own values
// are remembered inside it (<pfha_previous_interface>, <pfha_previous_ipaddr>), installed in the same write, so a
// killed run never loses them and the XMLRPC sync carries them to the secondary; delete puts them back (unless a
// human has re-pointed the instance since) and drops the memo. The memo's presence is what marks the binding ours.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, getPath, removeChild, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkInt, checkIpv4, type EditResult } from "./common";
import type { ElementDescriptor } from "./descriptor";

export type VpnKind = "openvpn" | "ipsec";

export interface VpnBindingSpec {
  vpn: VpnKind;
  /** openvpn: the instance's vpnid (server or client); ipsec: the phase 1 ikeid. */
  id: number;
  /** The CARP VIP's uniqid (13 hex characters). */
  vipUniqid: string;
  /** The VIP's address (OpenVPN's `ipaddr`, its `local`). */
  vipAddress: string;
}

export const PREVIOUS_INTERFACE = "pfha_previous_interface";
export const PREVIOUS_IPADDR = "pfha_previous_ipaddr";

/** The interface reference pfSense's GUI writes for a VIP. */
export function vipReference(uniqid: string): string {
  return `_vip${uniqid}`;
}

const ID_FIELD: Record<VpnKind, string> = { openvpn: "vpnid", ipsec: "ikeid" };

export function validateVpnBinding(spec: VpnBindingSpec): void {
  if (spec.vpn !== "openvpn" && spec.vpn !== "ipsec") throw new ElementInputError("vpn", spec.vpn, "use openvpn or ipsec");
  checkInt("id", spec.id, 1, 65535);
  if (!/^[0-9a-f]{13}$/.test(spec.vipUniqid)) throw new ElementInputError("vipUniqid", spec.vipUniqid, "use the CARP VIP's uniqid (13 lowercase hex characters)");
  checkIpv4("vipAddress", spec.vipAddress);
}

/** The instance with that id, or undefined. */
export function findVpnInstance(doc: PfConfigDoc, vpn: VpnKind, id: number): { el: PfElement; what: string } | undefined {
  const lists: [string, string][] = vpn === "openvpn"
    ? [["openvpn/openvpn-server", "OpenVPN server"], ["openvpn/openvpn-client", "OpenVPN client"]]
    : [["ipsec/phase1", "IPsec phase 1"]];
  for (const [path, what] of lists) {
    const slash = path.lastIndexOf("/");
    const parent = getPath(doc.root, path.slice(0, slash));
    const el = parent ? childrenByTag(parent, path.slice(slash + 1)).find((e) => textIn(doc, child(e, ID_FIELD[vpn])) === String(id)) : undefined;
    if (el !== undefined) return { el, what };
  }
  return undefined;
}

function vipAddressOf(doc: PfConfigDoc, uniqid: string): string | undefined {
  const vips = getPath(doc.root, "virtualip");
  const v = vips ? childrenByTag(vips, "vip").find((e) => textIn(doc, child(e, "uniqid")) === uniqid) : undefined;
  return v === undefined ? undefined : textIn(doc, child(v, "subnet"));
}

function missingInstance(spec: VpnBindingSpec): Error {
  return spec.vpn === "openvpn"
    ? new Error(`vpnid: ${spec.id} is not an OpenVPN server or client on this firewall (no openvpn-server or openvpn-client with <vpnid>${spec.id}</vpnid>); create the instance in VPN > OpenVPN on the primary (XMLRPC sync copies it to the secondary), or fix cluster.vpn.openvpn[].vpnid`)
    : new Error(`ikeid: ${spec.id} is not an IPsec phase 1 on this firewall (no ipsec/phase1 with <ikeid>${spec.id}</ikeid>); create the tunnel in VPN > IPsec on the primary (XMLRPC sync copies it to the secondary), or fix cluster.vpn.ipsec[].ikeid`);
}

export function upsertVpnBinding(doc: PfConfigDoc, spec: VpnBindingSpec): EditResult {
  validateVpnBinding(spec);
  const found = findVpnInstance(doc, spec.vpn, spec.id);
  if (found === undefined) throw missingInstance(spec);
  const have = vipAddressOf(doc, spec.vipUniqid);
  if (have !== spec.vipAddress) {
    throw new ElementInputError("vipUniqid", spec.vipUniqid, `no CARP VIP with this uniqid and address ${spec.vipAddress} on this firewall (${have === undefined ? "none" : `it has ${have}`}); declare the network's vip so the stack writes it before the binding`);
  }
  const el = found.el;
  const log = new ChangeLog(doc, `${found.what} ${spec.id}`);
  if (child(el, PREVIOUS_INTERFACE) === undefined) {
    // the human's values, remembered once, before the first bind
    log.value(el, PREVIOUS_INTERFACE, textIn(doc, child(el, "interface")) ?? "");
    if (spec.vpn === "openvpn") log.value(el, PREVIOUS_IPADDR, textIn(doc, child(el, "ipaddr")) ?? "");
  }
  log.value(el, "interface", vipReference(spec.vipUniqid));
  if (spec.vpn === "openvpn") log.value(el, "ipaddr", spec.vipAddress);
  return log.result();
}

/** Puts the remembered values back (unless a human re-pointed the instance since) and drops the memo. */
export function removeVpnBinding(doc: PfConfigDoc, spec: Pick<VpnBindingSpec, "vpn" | "id" | "vipUniqid">): EditResult {
  const found = findVpnInstance(doc, spec.vpn, spec.id);
  const log = new ChangeLog(doc, `${found?.what ?? spec.vpn} ${spec.id}`);
  const memo = found === undefined ? undefined : child(found.el, PREVIOUS_INTERFACE);
  if (found === undefined || memo === undefined) return log.result();
  const el = found.el;
  const ipMemo = child(el, PREVIOUS_IPADDR);
  if (textIn(doc, child(el, "interface")) === vipReference(spec.vipUniqid)) {
    log.value(el, "interface", textIn(doc, memo) ?? "");
    if (spec.vpn === "openvpn") log.value(el, "ipaddr", textIn(doc, ipMemo) ?? "");
  }
  removeChild(el, memo);
  if (ipMemo !== undefined) removeChild(el, ipMemo);
  log.note("binding removed");
  return log.result();
}

/**
 * The binding as found: undefined when the instance is gone or not bound by the stack (no memo). The VIP fields are
 * read from the instance: vipUniqid from `interface` (its raw value when it is no VIP reference), vipAddress from
 * `ipaddr` (OpenVPN) or from the VIP the reference names (IPsec).
 */
export function readVpnBinding(doc: PfConfigDoc, vpn: VpnKind, id: number): VpnBindingSpec | undefined {
  const found = findVpnInstance(doc, vpn, id);
  if (found === undefined || child(found.el, PREVIOUS_INTERFACE) === undefined) return undefined;
  const iface = textIn(doc, child(found.el, "interface")) ?? "";
  const vipUniqid = iface.startsWith("_vip") ? iface.slice(4) : iface;
  const vipAddress = vpn === "openvpn" ? (textIn(doc, child(found.el, "ipaddr")) ?? "") : (vipAddressOf(doc, vipUniqid) ?? "");
  return { vpn, id, vipUniqid, vipAddress };
}

/** The instance's interface reference as found (verify), undefined when the instance is missing. */
export function vpnInterfaceOf(doc: PfConfigDoc, vpn: VpnKind, id: number): string | undefined {
  const found = findVpnInstance(doc, vpn, id);
  return found === undefined ? undefined : (textIn(doc, child(found.el, "interface")) ?? "");
}

/**
 * VpnBinding: a human's OpenVPN instance (by vpnid) or IPsec phase 1 (by ikeid) bound to a CARP VIP. Identity: the
 * instance. Delete puts the instance's remembered interface back; the instance itself is never created or removed.
 * With synchronizeopenvpn/synchronizeipsec the <openvpn> and <ipsec> sections are sent as is (the binding, its memo
 * too, and the VIP uniqid it names are the same on the secondary).
 */
export const vpnBindingElement: ElementDescriptor<VpnBindingSpec> = {
  resource: "VpnBinding",
  provider: "vpnBinding",
  component: { name: "VpnBinding", previous: [] },
  section: "vpn",
  secretSpec: false,
  normalize: (_old, spec) => spec,
  identity: (s) => `${s.vpn}/${s.id}`,
  validate: (s) => validateVpnBinding(s),
  upsert: (doc, s) => upsertVpnBinding(doc, s),
  remove: (doc, s) => void removeVpnBinding(doc, s),
  read: (doc, s) => readVpnBinding(doc, s.vpn, s.id),
  secrets: () => [],
};
