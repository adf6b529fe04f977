// OVS reads for verify: VXLAN interfaces with their realisation and BFD columns (ovs-vsctl JSON), the bridge each
// port is on, and live port counters (`ovs-ofctl dump-ports`: ovsdb's statistics column lags by 5 s).
import { asMap, asOptional, parseBridges, parsePorts, parseTable } from "../ovs/json";

export interface VxlanPort {
  name: string;
  bridge?: string;
  key?: string;
  remoteIp?: string;
  /** Undefined when ovsdb has no ofport (bridge not in the datapath); -1 when realisation failed. */
  ofport?: number;
  error?: string;
  bfdEnabled: boolean;
  bfdStatus: Record<string, string>;
  linkState?: string;
}

export const VXLAN_COLUMNS = "name,type,options,ofport,error,bfd,bfd_status,link_state";

/** `ovs-vsctl --format=json --columns=<VXLAN_COLUMNS> list interface` + the bridge and port tables. */
export function parseVxlanPorts(interfacesJson: string, bridgesJson: string, portsJson: string): VxlanPort[] {
  const bridges = parseBridges(bridgesJson);
  const ports = parsePorts(portsJson);
  const bridgeOf = (name: string): string | undefined => {
    const p = ports.find((x) => x.name === name);
    return p && bridges.find((b) => b.ports.includes(p.uuid))?.name;
  };
  return parseTable(interfacesJson)
    .filter((r) => r.type === "vxlan")
    .map((r) => {
      const options = asMap(r.options);
      const ofport = asOptional(r.ofport);
      const error = asOptional(r.error);
      const link = asOptional(r.link_state);
      const name = String(r.name);
      const port: VxlanPort = {
        name,
        bridge: bridgeOf(name),
        key: options.key,
        remoteIp: options.remote_ip,
        ofport: ofport === undefined ? undefined : Number(ofport),
        bfdEnabled: asMap(r.bfd).enable === "true",
        bfdStatus: asMap(r.bfd_status),
      };
      if (error !== undefined && error !== "") port.error = String(error);
      if (link !== undefined) port.linkState = String(link);
      return port;
    });
}

export interface PortCounters {
  rxPackets: number;
  txPackets: number;
}

/**
 * `bridge <name>` marker lines followed by `ovs-ofctl dump-ports <name>` output -> bridge -> port (ofport number or
 * name as printed) -> counters.
 */
export function parseDumpPorts(text: string): Record<string, Record<string, PortCounters>> {
  const out: Record<string, Record<string, PortCounters>> = {};
  let bridge: string | undefined;
  let port: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const b = /^bridge (\S+)$/.exec(line);
    if (b) {
      bridge = b[1];
      out[bridge] = {};
      port = undefined;
      continue;
    }
    if (!bridge) continue;
    const rx = /^\s+port\s+"?([^":]+)"?:\s+rx pkts=(\d+)/.exec(line);
    if (rx) {
      port = rx[1].trim();
      out[bridge][port] = { rxPackets: Number(rx[2]), txPackets: 0 };
      continue;
    }
    const tx = /^\s+tx pkts=(\d+)/.exec(line);
    if (tx && port !== undefined) out[bridge][port].txPackets = Number(tx[1]);
  }
  return out;
}
