// Input validation for the OVS resources, on the shared field rules. Pure: check() runs it without any host.
import { isIPv4, isIPv6 } from "net";
import { checkLinuxIfName, checkIntegerRange, checkUplinkName, checkMtu, checkUdpPort, checkVni, problem } from "../../config/rules";
import type { Problem } from "../../config/problems";
import { resolveEndpoint } from "../ssh/endpoint";
import { checkVxlanMtu } from "./mtu";
import { tunnelPortName } from "./naming";
import type { OvsBridgeInputs, VxlanNodeInputs } from "./types";

function checkEndpoint(key: string, endpoint: unknown): Problem[] {
  try {
    resolveEndpoint(endpoint as never);
    return [];
  } catch (e) {
    return [problem(key, "(endpoint)", (e as Error).message, "fix the node's SSH endpoint (host, username, key, pinned host key)")];
  }
}

function checkIp(key: string, value: unknown): Problem[] {
  if (typeof value === "string" && (isIPv4(value) || isIPv6(value))) return [];
  return [problem(key, value, "is not an IP address", `write an IPv4 or IPv6 literal (OVS remote_ip takes no DNS names), e.g. "10.0.0.2"`)];
}

/** A name that starts with "-" passes the character rule but reads as an option to ovs-vsctl, ip and ifupdown2. */
function checkNotOption(key: string, value: unknown): Problem[] {
  if (typeof value !== "string" || !value.startsWith("-")) return [];
  return [problem(key, value, "starts with \"-\", which commands would read as an option", `start the name with a letter or digit, e.g. "vmbr1"`)];
}

function checkName(key: string, value: unknown): Problem[] {
  const p = checkLinuxIfName(key, value);
  return p.length > 0 ? p : checkNotOption(key, value);
}

export function validateBridgeInputs(i: Partial<OvsBridgeInputs>): Problem[] {
  const p: Problem[] = [...checkEndpoint("endpoint", i.endpoint), ...checkName("name", i.name)];
  if (i.uplink !== undefined) p.push(...checkName("uplink", i.uplink));
  if (i.uplink !== undefined && i.uplink !== i.name) p.push(...checkUplinkName("uplink", i.uplink));
  if (i.uplink !== undefined && i.uplink === i.name) p.push(problem("uplink", i.uplink, "is the bridge's own name", "name the physical NIC, e.g. \"eno1\""));
  if (i.mtu !== undefined) p.push(...checkMtu("mtu", i.mtu));
  if (i.datapathType !== undefined && i.datapathType !== "system" && i.datapathType !== "netdev") {
    p.push(problem("datapathType", i.datapathType, "is not a supported datapath type", 'use "system" (kernel, the default) or "netdev" (userspace)'));
  }
  return p;
}

export function validateVxlanNodeInputs(i: Partial<VxlanNodeInputs>): Problem[] {
  const p: Problem[] = [...checkEndpoint("endpoint", i.endpoint), ...checkName("bridge", i.bridge), ...checkVni("vni", i.vni)];
  // The id ends up in an ovs_extra line, which ifupdown2 runs through a shell: keep it to a plain word.
  if (typeof i.tunnelId !== "string" || !/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,62}$/.test(i.tunnelId)) {
    p.push(problem("tunnelId", i.tunnelId, "is not a valid tunnel id", "use 1-63 characters from A-Z a-z 0-9 _ . -, not starting with -, e.g. \"lan\""));
  }
  p.push(...checkIp("underlayAddress", i.underlayAddress));
  if (i.dstPort !== undefined) p.push(...checkUdpPort("dstPort", i.dstPort));
  if (i.underlayMtu !== undefined) p.push(...checkIntegerRange("underlayMtu", i.underlayMtu, 576, 65535, "underlay MTU"));
  if (i.overlayMtu !== undefined) p.push(...checkMtu("overlayMtu", i.overlayMtu));
  const peers = Array.isArray(i.peers) ? i.peers : [];
  if (peers.length === 0) p.push(problem("peers", i.peers, "has no peer", "list at least one other node with its underlay address"));
  const seenAddr = new Map<string, string>();
  const seenPort = new Map<string, string>();
  peers.forEach((peer, n) => {
    p.push(...checkIp(`peers[${n}].address`, peer?.address));
    if (typeof peer?.name !== "string" || peer.name === "") p.push(problem(`peers[${n}].name`, peer?.name, "is empty", "name the peer node"));
    if (peer?.address === i.underlayAddress) {
      p.push(problem(`peers[${n}].address`, peer.address, "is this node's own underlay address", "list only the other nodes as peers"));
    }
    const dup = seenAddr.get(peer?.address);
    if (dup !== undefined) {
      p.push(problem(`peers[${n}].address`, peer.address, `is also the address of peer ${dup}: two tunnels with the same remote_ip, local_ip and key cannot coexist`, "give each node its own underlay address"));
    }
    seenAddr.set(peer?.address, peer?.name);
    if (typeof i.tunnelId === "string" && typeof peer?.name === "string") {
      const port = tunnelPortName(i.tunnelId, peer.name);
      const other = seenPort.get(port);
      if (other !== undefined) p.push(problem(`peers[${n}].name`, peer.name, `gives the same port name ${port} as peer ${other}`, "use distinct peer names"));
      seenPort.set(port, peer.name);
    }
  });
  if (i.overlayMtu !== undefined && typeof i.underlayAddress === "string") {
    p.push(...checkVxlanMtu("overlayMtu", Number(i.underlayMtu ?? 1500), Number(i.overlayMtu), i.underlayAddress));
  }
  return p;
}
