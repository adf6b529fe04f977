// One remote command reads everything a provider needs: the three OVS tables as JSON, both interfaces files and
// whether Proxmox has pending network changes. Pure builder and parser; the I/O is in host-io.ts.
import { shq } from "../shell/quote";
import {
  BRIDGE_COLUMNS,
  INTERFACE_COLUMNS,
  PORT_COLUMNS,
  parseBridges,
  parseInterfaces,
  parsePorts,
  type BridgeRow,
  type InterfaceRow,
  type PortRow,
} from "./json";
import { INTERFACES_FILE, INTERFACES_NEW, TUNNELS_FILE } from "./types";

export interface HostSnapshot {
  bridges: BridgeRow[];
  ports: PortRow[];
  interfaces: InterfaceRow[];
  /** undefined when the file does not exist. */
  interfacesFile?: string;
  tunnelsFile?: string;
  pendingNew: boolean;
  /** The node's network links as `ip -details -json addr show` prints them (undefined: not read). Not hashed. */
  links?: LinkInfo[];
}

/** What a link is, as far as the uplink checks need it. */
export interface LinkInfo {
  name: string;
  /** linkinfo.info_kind: bond, vlan, bridge, veth, dummy, openvswitch, … (undefined = a physical NIC). */
  kind?: string;
  /** linkinfo.info_slave_kind: bridge, bond, openvswitch when the link is a member of one. */
  slaveKind?: string;
  master?: string;
  linkType?: string;
  mtu?: number;
  /** Addresses other than IPv6 link-local, as CIDR. */
  addresses: string[];
}

/** Separates the links section, which the state hash leaves out (link state and counters change on their own). */
export const LINKS_SEP = "@@pfha-links@@";

const SEP = "@@pfha-section@@";

function fileSection(path: string): string {
  return `if [ -e ${shq(path)} ]; then printf 'present '; base64 -w0 ${shq(path)}; fi; echo; echo ${SEP}`;
}

export function snapshotCommand(): string {
  // One ovs-vsctl run lists the three tables (one JSON line each): a third of the cost of three runs.
  // `|| exit`: under `set -e` a failure inside an && list would be silently skipped.
  return [
    "set -e",
    `ovs-vsctl --timeout=10 --format=json -- --columns=${BRIDGE_COLUMNS} list bridge -- --columns=${PORT_COLUMNS} list port ` +
      `-- --columns=${INTERFACE_COLUMNS} list interface || exit $?`,
    `echo ${SEP}`,
    fileSection(INTERFACES_FILE),
    fileSection(TUNNELS_FILE),
    `if [ -e ${shq(INTERFACES_NEW)} ]; then echo pending; fi`,
    `echo ${LINKS_SEP}`,
    `ip -details -json addr show 2>/dev/null || echo '[]'`,
  ].join("\n");
}

function decodeFile(section: string): string | undefined {
  const t = section.trim();
  if (!t.startsWith("present")) return undefined;
  return Buffer.from(t.slice("present".length).trim(), "base64").toString("utf8");
}

interface IpAddrJson {
  ifname?: string;
  link_type?: string;
  mtu?: number;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
}

export function parseLinks(json: string): LinkInfo[] {
  const rows = JSON.parse(json.trim() || "[]") as IpAddrJson[];
  return rows
    .filter((r) => typeof r.ifname === "string")
    .map((r) => ({
      name: r.ifname!,
      kind: r.linkinfo?.info_kind,
      slaveKind: r.linkinfo?.info_slave_kind,
      master: r.master,
      linkType: r.link_type,
      mtu: r.mtu,
      addresses: (r.addr_info ?? []).filter((a) => a.local && a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`),
    }));
}

export function parseSnapshot(stdout: string): HostSnapshot {
  const li = stdout.indexOf(`${LINKS_SEP}\n`);
  const links = li >= 0 ? parseLinks(stdout.slice(li + LINKS_SEP.length + 1)) : undefined;
  if (li >= 0) stdout = stdout.slice(0, li);
  const parts = stdout.split(`${SEP}\n`);
  const tables = parts[0]?.trim().split("\n") ?? [];
  if (parts.length !== 4 || tables.length !== 3) {
    throw new Error(`unexpected output of the OVS state read (${parts.length} sections, ${tables.length} tables): ${JSON.stringify(stdout.slice(0, 300))}`);
  }
  return {
    bridges: parseBridges(tables[0]),
    ports: parsePorts(tables[1]),
    interfaces: parseInterfaces(tables[2]),
    interfacesFile: decodeFile(parts[1]),
    tunnelsFile: decodeFile(parts[2]),
    pendingNew: parts[3].trim() === "pending",
    links,
  };
}

export function bridgeOfPort(s: HostSnapshot, port: string): string | undefined {
  const p = s.ports.find((x) => x.name === port);
  return p && s.bridges.find((b) => b.ports.includes(p.uuid))?.name;
}

export function portsOfBridge(s: HostSnapshot, bridge: string): PortRow[] {
  const b = s.bridges.find((x) => x.name === bridge);
  return b ? s.ports.filter((p) => b.ports.includes(p.uuid) && p.name !== bridge) : [];
}
