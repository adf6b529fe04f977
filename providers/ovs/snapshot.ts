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
}

const SEP = "@@pfha-section@@";

function fileSection(path: string): string {
  return `if [ -e ${shq(path)} ]; then printf 'present '; base64 -w0 ${shq(path)}; fi; echo; echo ${SEP}`;
}

export function snapshotCommand(): string {
  // `|| exit`: under `set -e` a failure inside an && list would be silently skipped.
  const list = (table: string, cols: string) => `ovs-vsctl --timeout=10 --format=json --columns=${cols} list ${table} || exit $?\necho\necho ${SEP}`;
  return [
    "set -e",
    list("bridge", BRIDGE_COLUMNS),
    list("port", PORT_COLUMNS),
    list("interface", INTERFACE_COLUMNS),
    fileSection(INTERFACES_FILE),
    fileSection(TUNNELS_FILE),
    `if [ -e ${shq(INTERFACES_NEW)} ]; then echo pending; fi`,
  ].join("\n");
}

function decodeFile(section: string): string | undefined {
  const t = section.trim();
  if (!t.startsWith("present")) return undefined;
  return Buffer.from(t.slice("present".length).trim(), "base64").toString("utf8");
}

export function parseSnapshot(stdout: string): HostSnapshot {
  const parts = stdout.split(`${SEP}\n`);
  if (parts.length !== 6) throw new Error(`unexpected output of the OVS state read (${parts.length} sections): ${JSON.stringify(stdout.slice(0, 300))}`);
  return {
    bridges: parseBridges(parts[0].trim()),
    ports: parsePorts(parts[1].trim()),
    interfaces: parseInterfaces(parts[2].trim()),
    interfacesFile: decodeFile(parts[3]),
    tunnelsFile: decodeFile(parts[4]),
    pendingNew: parts[5].trim() === "pending",
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
