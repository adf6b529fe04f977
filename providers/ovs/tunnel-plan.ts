// VxlanTunnel (one node's share of the mesh), pure part: desired ports, their stanzas in our own file, the
// transaction, conflicts with tunnels that are not ours, and the state read back from a host.
import { plainData } from "../plain-data";
import { editInterfaces, optionOf, parseInterfacesFile, type StanzaSpec } from "./interfaces-file";
import { OWNER_KEY, OWNER_VALUE, TUNNEL_ID_KEY, tunnelPortName } from "./naming";
import { bridgeOfPort, type HostSnapshot } from "./snapshot";
import type { TunnelPortState, VxlanNodeInputs } from "./types";
import { deletePortCommands, ensureTunnelPortCommands, tunnelOptions, type TunnelPortSpec, type VsctlCommand } from "./vsctl";

export function desiredPorts(i: VxlanNodeInputs): (TunnelPortSpec & { peer: string })[] {
  return i.peers.map((p) => ({
    bridge: i.bridge,
    name: tunnelPortName(i.tunnelId, p.name),
    peer: p.name,
    remoteIp: p.address,
    key: Number(i.vni),
    dstPort: i.dstPort,
    localIp: i.localIp ? i.underlayAddress : undefined,
    bfd: !!i.bfd,
    tunnelId: i.tunnelId,
  }));
}

/** OVSTunnel stanza: never listed in a bridge's ovs_ports, no ovs_mtu. */
export function tunnelStanza(s: TunnelPortSpec): StanzaSpec {
  return {
    name: s.name,
    options: [
      ["ovs_type", "OVSTunnel"],
      ["ovs_bridge", s.bridge],
      ["ovs_tunnel_type", "vxlan"],
      ["ovs_tunnel_options", tunnelOptions(s).map(([k, v]) => `options:${k}=${v}`).join(" ")],
      // ifupdown2 clears the port's external_ids and the interface's options on reload, then runs ovs_extra; the
      // split horizon (protected, see ensureTunnelPortCommands) is set there too, so a reboot's replay keeps it.
      [
        "ovs_extra",
        `set interface ${s.name} bfd:enable=${s.bfd} -- set port ${s.name} protected=true external_ids:${OWNER_KEY}=${OWNER_VALUE} external_ids:${TUNNEL_ID_KEY}=${s.tunnelId}`,
      ],
    ],
  };
}

/** Ports this tunnel owns on the host (by tag) or wrote to the file, that are no longer wanted. */
export function stalePorts(i: VxlanNodeInputs, s: HostSnapshot): string[] {
  const wanted = new Set(desiredPorts(i).map((p) => p.name));
  const tagged = s.ports.filter((p) => p.externalIds[TUNNEL_ID_KEY] === i.tunnelId).map((p) => p.name);
  const filed = s.tunnelsFile
    ? parseInterfacesFile(s.tunnelsFile)
        .stanzas.filter((st) => (optionOf(st, "ovs_extra") ?? "").includes(`${TUNNEL_ID_KEY}=${i.tunnelId}`))
        .map((st) => st.name)
    : [];
  return [...new Set([...tagged, ...filed])].filter((n) => !wanted.has(n)).sort();
}

export function tunnelCommands(i: VxlanNodeInputs, s: HostSnapshot): VsctlCommand[] {
  const cmds: VsctlCommand[] = [];
  for (const n of stalePorts(i, s)) cmds.push(...deletePortCommands(n));
  for (const p of desiredPorts(i)) cmds.push(...ensureTunnelPortCommands(p));
  return cmds;
}

export function tunnelFileEdit(i: VxlanNodeInputs, s: HostSnapshot): (text: string) => string {
  const header = "# Managed by pfsense-ha: VXLAN ports (ovs_type OVSTunnel). Edits here are overwritten.\n";
  const specs = desiredPorts(i).map(tunnelStanza);
  const remove = stalePorts(i, s);
  return (text) => editInterfaces(text === "" ? header : text, specs, remove);
}

export function tunnelRemoveEdit(names: string[]): (text: string) => string {
  return (text) => editInterfaces(text, [], names);
}

const isOwned = (s: HostSnapshot, name: string) => s.ports.find((p) => p.name === name)?.externalIds[OWNER_KEY] === OWNER_VALUE;

/** Errors that stop create/update before anything changes. */
export function tunnelPreflight(i: VxlanNodeInputs, s: HostSnapshot, alreadyOurs: boolean): string[] {
  const errs: string[] = [];
  if (!s.bridges.some((b) => b.name === i.bridge)) {
    errs.push(`${i.node}: bridge ${i.bridge} does not exist; create it first (OvsBridge) or fix the tunnel's bridge`);
  }
  const mine = new Set(desiredPorts(i).map((p) => p.name));
  for (const p of desiredPorts(i)) {
    const holder = bridgeOfPort(s, p.name);
    if (holder && holder !== i.bridge) errs.push(`${i.node}: port ${p.name} exists on bridge ${holder}, not ${i.bridge}; delete it there first`);
    if (holder && !alreadyOurs && !isOwned(s, p.name) && !i.adopt) {
      errs.push(`${i.node}: port ${p.name} exists and was not created by pfsense-ha; set adopt: true to manage it`);
    }
    // OVS identifies a tunnel by (type, remote_ip, local_ip, key): a duplicate fails with "File exists".
    const clash = s.interfaces.find(
      (x) =>
        x.type === "vxlan" &&
        !mine.has(x.name) &&
        x.options.remote_ip === p.remoteIp &&
        (x.options.key ?? "0") === String(p.key) &&
        (x.options.local_ip ?? "") === (p.localIp ?? "") &&
        (x.options.dst_port ?? "4789") === String(p.dstPort ?? 4789),
    );
    if (clash) {
      errs.push(
        `${i.node}: tunnel port ${clash.name} already uses remote_ip ${p.remoteIp} with key ${p.key}; ` +
          `OVS allows one tunnel per (remote_ip, local_ip, key): use another VNI or remove ${clash.name}`,
      );
    }
  }
  return errs;
}

export function tunnelPortStates(i: VxlanNodeInputs, s: HostSnapshot): TunnelPortState[] {
  const stanzas = s.tunnelsFile ? parseInterfacesFile(s.tunnelsFile).stanzas : [];
  return desiredPorts(i).map((p) => {
    const iface = s.interfaces.find((x) => x.name === p.name);
    const port = s.ports.find((x) => x.name === p.name);
    const st = stanzas.find((x) => x.name === p.name);
    const want = tunnelStanza(p);
    const persisted = !!st && want.options.every(([k, v]) => optionOf(st, k) === v);
    const onBridge = bridgeOfPort(s, p.name) === i.bridge;
    // Optional fields are absent, never undefined: the state is a protobuf Struct.
    return plainData<TunnelPortState>({
      name: p.name,
      peer: p.peer,
      remoteIp: iface?.options.remote_ip ?? "",
      key: iface?.options.key !== undefined ? Number(iface.options.key) : -1,
      dstPort: iface?.options.dst_port !== undefined ? Number(iface.options.dst_port) : undefined,
      localIp: iface?.options.local_ip,
      bfd: iface?.bfd.enable === "true",
      protected: port?.protected === true,
      ofport: onBridge ? iface?.ofport : undefined,
      error: iface?.error,
      owned: port?.externalIds[OWNER_KEY] === OWNER_VALUE && port?.externalIds[TUNNEL_ID_KEY] === i.tunnelId,
      persisted,
    });
  });
}

/** Does the host match the desired ports exactly (and are they realised and persisted)? */
export function portMatches(p: TunnelPortSpec, st: TunnelPortState | undefined): boolean {
  return (
    !!st &&
    st.remoteIp === p.remoteIp &&
    st.key === p.key &&
    st.dstPort === p.dstPort &&
    st.localIp === p.localIp &&
    st.bfd === p.bfd &&
    st.protected === true &&
    st.owned &&
    st.persisted &&
    st.ofport !== undefined &&
    st.ofport > 0 &&
    !st.error
  );
}

/** Read-back check after apply: exit code 0 does not mean vswitchd realised the port. */
export function tunnelRealisationErrors(i: VxlanNodeInputs, states: TunnelPortState[]): string[] {
  return states
    .filter((st) => st.ofport === undefined || st.ofport <= 0 || st.error)
    .map((st) => `${i.node}: port ${st.name} (to ${st.peer}) was not realised by ovs-vswitchd: ${st.error ?? `ofport ${st.ofport ?? "empty"}`}`);
}
