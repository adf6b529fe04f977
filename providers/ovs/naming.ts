// Deterministic VXLAN port names: "vx" + 6 base36 chars of the tunnel id + "-" + 6 of the peer name = 15 characters,
// Linux's limit. They depend only on stable identities (tunnel id, peer node name), so a changed key or remote_ip
// updates the port in place instead of renaming it.
import { sha256 } from "../digest";

export const OWNER_KEY = "managed-by";
export const OWNER_VALUE = "pfsense-ha";
export const TUNNEL_ID_KEY = "pfsense-ha-tunnel";

function hash6(text: string): string {
  const n = parseInt(sha256(text).slice(0, 12), 16); // the first 6 bytes
  return n.toString(36).padStart(6, "0").slice(-6);
}

/** Name of the port on one node that carries `tunnelId` towards `peerName`. */
export function tunnelPortName(tunnelId: string, peerName: string): string {
  return `vx${hash6(`tunnel:${tunnelId}`)}-${hash6(`peer:${peerName}`)}`;
}

/** Matches every name tunnelPortName can produce, and nothing PVE or users would name a port. */
export const TUNNEL_PORT_PATTERN = "vx[0-9a-z]{6}-[0-9a-z]{6}$";

/**
 * The bridge stanza's `ovs-ports-condone-regex`: ifreload must not prune our tunnel ports. A custom regex replaces
 * Proxmox's default, so the default's tap|veth|fwln stays in it (VM/CT ports).
 */
export const CONDONE_REGEX = `^(tap|veth|fwln|${TUNNEL_PORT_PATTERN})`;
