// I/O shell of verify: one exec per host (all hosts in parallel), parsed into observations.
import { dhcpNetworksOf, type ClusterConfig, type FirewallRole } from "../../config/types";
import { connectHost, redact, type SshEndpoint } from "../ssh";
import { messageOf } from "../error-message";
import type { FirewallObservation, NodeObservation, Observations } from "./observations";
import { mtuPathsOf, PING_OVERHEAD } from "./desired";
import { firewallProbeScript, nodeProbeScript, parseFirewallProbe, parseNodeProbe } from "./probe";

export interface CollectOptions {
  /** Seconds between the two counter samples on the Proxmox nodes (default 2). */
  windowS?: number;
  /** Adds the SSH key content (pfsense-ha:sshPrivateKey) to endpoints that have no other credential. */
  endpointOf?: (ep: SshEndpoint) => SshEndpoint;
  progress?: (line: string) => void;
}

export interface Collected {
  observations: Observations;
  /** The raw config.xml read from each firewall (for the desired-state comparison). */
  configXml: Partial<Record<FirewallRole, string>>;
}

const PROBE_TIMEOUT_MS = 60_000;

function redactedMessageOf(e: unknown): string {
  return redact(messageOf(e));
}

async function probeFirewall(c: ClusterConfig, role: FirewallRole, ep: SshEndpoint): Promise<{ observation: FirewallObservation; configXml?: string }> {
  const fw = c.firewalls[role];
  try {
    const host = await connectHost(ep);
    const mtuPings = role === "primary" ? mtuPathsOf(c).map((p) => ({ network: p.network, size: p.mtu - PING_OVERHEAD, address: p.address })) : [];
    const r = await host.exec(firewallProbeScript({ xmlrpc: role === "primary", dhcpFailover: dhcpNetworksOf(c).some((n) => n.dhcp.failover), mtuPings, natRules: !!(c.portForwards?.length || c.oneToOne?.length) }), { timeoutMs: PROBE_TIMEOUT_MS });
    if (r.timedOut) return { observation: { role, name: fw.name, error: `probe timed out after ${PROBE_TIMEOUT_MS / 1000} s` } };
    return parseFirewallProbe({ role, name: fw.name }, r.stdout);
  } catch (e) {
    return { observation: { role, name: fw.name, error: redactedMessageOf(e) } };
  }
}

async function probeNode(name: string, ep: SshEndpoint, bridges: string[], windowS: number): Promise<NodeObservation> {
  try {
    const host = await connectHost(ep);
    const r = await host.exec(nodeProbeScript(bridges, windowS), { timeoutMs: PROBE_TIMEOUT_MS });
    if (r.timedOut) return { node: name, ports: [], counters: [{}, {}], windowMs: windowS * 1000, error: "probe timed out" };
    return parseNodeProbe(name, r.stdout, windowS);
  } catch (e) {
    return { node: name, ports: [], counters: [{}, {}], windowMs: windowS * 1000, error: redactedMessageOf(e) };
  }
}

export async function collect(c: ClusterConfig, opts: CollectOptions = {}): Promise<Collected> {
  const windowS = opts.windowS ?? 2;
  const ep = opts.endpointOf ?? ((e: SshEndpoint) => e);
  const bridges = c.networks.filter((n) => n.vxlan).map((n) => n.bridge);
  opts.progress?.(`probing ${c.firewalls.primary.name}, ${c.firewalls.secondary.name} and ${c.proxmox.nodes.map((n) => n.name).join(", ")} (counters over ${windowS} s)…`);
  const [p, s, ...nodes] = await Promise.all([
    probeFirewall(c, "primary", ep(c.firewalls.primary.ssh)),
    probeFirewall(c, "secondary", ep(c.firewalls.secondary.ssh)),
    ...(bridges.length ? c.proxmox.nodes.map((n) => probeNode(n.name, ep(n.ssh), bridges, windowS)) : []),
  ]);
  return {
    observations: { firewalls: { primary: p.observation, secondary: s.observation }, nodes },
    configXml: { primary: p.configXml, secondary: s.configXml },
  };
}
