// evaluate(expectations, observations) -> one Check per (check, node), each failure with the next step (pure).
import type { FirewallRole } from "../../config/types";
import { PING_OVERHEAD, type VerifyExpectations } from "./desired";
import type { FirewallObservation, NodeObservation, Observations } from "./observations";
import { carpStatuses, type CarpStatus } from "./parse-ifconfig";
import { haStateChecks } from "./ha-state";
import { inboundNatChecks } from "./inbound-nat";

export type CheckStatus = "pass" | "fail" | "warn";

export interface Check {
  check: string;
  node: string;
  expected: string;
  found: string;
  status: CheckStatus;
  /** What to do next (failures and warnings only). */
  hint?: string;
}

const ROLES: FirewallRole[] = ["primary", "secondary"];
const WANT: Record<FirewallRole, CarpStatus["state"]> = { primary: "MASTER", secondary: "BACKUP" };

function check(c: Omit<Check, "status" | "hint">, ok: boolean, hint: string): Check {
  return ok ? { ...c, status: "pass" } : { ...c, status: "fail", hint };
}

function carpOf(fw: FirewallObservation, device: string, vhid: number): CarpStatus | undefined {
  return fw.ifconfig ? carpStatuses(fw.ifconfig).find((s) => s.device === device && s.vhid === vhid) : undefined;
}

function firewallChecks(e: VerifyExpectations, o: Observations): Check[] {
  const out: Check[] = [];
  for (const role of ROLES) {
    const fw = o.firewalls[role];
    const node = `${fw.name} (${role})`;
    if (fw.error !== undefined) {
      out.push(check({ check: "reachable", node, expected: "SSH + probe ok", found: fw.error }, false, `fix SSH access to ${fw.name} (address, host key, client key) and run verify again`));
      continue;
    }
    out.push(check({ check: "net.inet.carp.allow", node, expected: "1", found: fw.carpAllow ?? "(missing)" }, fw.carpAllow === "1",
      `CARP is disabled on ${fw.name}: Status > CARP > Enable CARP (or \`sysctl net.inet.carp.allow=1\`); a node with carp.allow=0 keeps every VHID in INIT`));
    const maint = fw.config?.maintenanceMode ?? false;
    out.push(check({ check: "carp maintenance mode", node, expected: "off", found: maint ? "on" : "off" }, !maint,
      `${fw.name} is in persistent CARP maintenance mode (advskew 254): Status > CARP > Leave Persistent CARP Maintenance Mode, or \`pfsense-ha drill\` left it there if it was killed hard`));
    const want = e.firewalls[role];
    if (want.virtio && fw.config) {
      const off = fw.config.checksumOffloadingDisabled === true;
      out.push(check({ check: "checksum offloading (VirtIO)", node, expected: "disabled", found: off ? "disabled" : "enabled" }, off,
        `${fw.name} has VirtIO NICs with hardware checksum offloading on, which corrupts or drops traffic through the firewall: \`pulumi up\` sets System > Advanced > Networking > Disable hardware checksum offload (then reboot ${fw.name}, as the GUI asks)`));
    }
    if (fw.config) {
      for (const b of e.vpnBindings) {
        const what = b.vpn === "openvpn" ? `OpenVPN vpnid ${b.id}` : `IPsec phase 1 ikeid ${b.id}`;
        const f = fw.config.vpnInterfaces?.[`${b.vpn}/${b.id}`];
        out.push(check({ check: `${what} on the ${b.network} VIP`, node, expected: `${b.reference} (${b.address})`, found: f ? `${f.interface || "(none)"} (${f.address || "-"})` : "(no such instance)" },
          f !== undefined && f.interface === b.reference && f.address === b.address,
          f === undefined
            ? `${fw.name} has no ${what}: create it on the primary (VPN > ${b.vpn === "openvpn" ? "OpenVPN" : "IPsec"}; XMLRPC sync copies it to the secondary) or fix cluster.vpn.${b.vpn}`
            : `${what} on ${fw.name} does not listen on the ${b.network} CARP VIP ${b.address}, so it breaks on failover: \`pulumi up\` binds it (interface ${b.reference}), or pick the VIP in its Interface field`));
      }
    }
    const ps = fw.ifconfig?.pfsync;
    const found = ps ? `${ps.up ? "up" : "down"} syncdev ${ps.syncdev ?? "-"} syncpeer ${ps.syncpeer ?? "-"}` : "(no pfsync0)";
    out.push(check({ check: "pfsync", node, expected: `up syncdev ${want.syncDevice} syncpeer ${want.syncPeer}`, found },
      !!ps && ps.up && ps.syncdev === want.syncDevice && ps.syncpeer === want.syncPeer,
      `set System > High Avail. Sync on ${fw.name}: Synchronize states on, interface = the sync network (${want.syncDevice}), peer ${want.syncPeer} (\`pulumi up\` writes it)`));
    if (fw.pf) {
      out.push({ check: "pf", node, expected: "Enabled", found: `${fw.pf.enabled ? "Enabled" : "Disabled"}${fw.pf.states === undefined ? "" : `, ${fw.pf.states} states`}`,
        ...(fw.pf.enabled ? { status: "pass" } : { status: "fail", hint: `pf is disabled on ${fw.name}: re-enable it (System > Advanced > Firewall & NAT, Disable Firewall unchecked)` }) });
    }
  }
  return out;
}

function vipChecks(e: VerifyExpectations, o: Observations): Check[] {
  const out: Check[] = [];
  const up = ROLES.filter((r) => o.firewalls[r].error === undefined);
  for (const v of e.vips) {
    const label = `vhid ${v.vhid} ${v.network} ${v.address}`;
    const states: Partial<Record<FirewallRole, string>> = {};
    for (const role of up) {
      const fw = o.firewalls[role];
      const s = carpOf(fw, v.device[role], v.vhid);
      states[role] = s ? s.state : "absent";
      const node = `${fw.name} (${role})`;
      let hint: string;
      if (!s) hint = `VHID ${v.vhid} is not configured on ${v.device[role]} of ${fw.name}: run \`pulumi up\` (the CARP VIP is missing or its interface is disabled)`;
      else if (s.state === "INIT") hint = `VHID ${v.vhid} is INIT on ${fw.name}: CARP is disabled (net.inet.carp.allow=0) or ${v.device[role]} has no link`;
      else if (role === "primary") hint = `the primary is BACKUP for VHID ${v.vhid}: leave maintenance mode on ${fw.name}, check its advskew (${s.advskew}) is below the secondary's and that ${v.device[role]} has link`;
      else hint = `the secondary is MASTER for VHID ${v.vhid}: it does not hear the primary's advertisements; check the ${v.network} network (bridge/VXLAN) between the nodes and the primary's state`;
      out.push(check({ check: `carp ${label}`, node, expected: `${WANT[role]} on ${v.device[role]}`, found: s ? `${s.state} on ${v.device[role]} (advskew ${s.advskew})` : "absent" }, !!s && s.state === WANT[role], hint));
    }
    if (up.length === ROLES.length) {
      const masters = ROLES.filter((r) => states[r] === "MASTER").length;
      const found = ROLES.map((r) => `${o.firewalls[r].name}=${states[r]}`).join(", ");
      const hint = masters === 2
        ? `split brain: both nodes are MASTER for VHID ${v.vhid}; the CARP advertisements do not reach the other node — check the ${v.network} bridge and VXLAN tunnel (verify's vxlan checks), same VHID/password on both`
        : masters === 0
          ? `no node is MASTER for VHID ${v.vhid}: the VIP ${v.address} is down; enable CARP (net.inet.carp.allow=1) and check the interfaces have link`
          : `one node MASTER but the other is not BACKUP for VHID ${v.vhid}: configure the VIP on both nodes (\`pulumi up\`)`;
      const ok = masters === 1 && ROLES.every((r) => states[r] === "MASTER" || states[r] === "BACKUP");
      out.push(check({ check: `carp ${label} exactly one MASTER`, node: "cluster", expected: "one MASTER, one BACKUP", found }, ok, hint));
    }
  }
  return out;
}

function syncChecks(e: VerifyExpectations, o: Observations): Check[] {
  const out: Check[] = [];
  const [p, s] = [o.firewalls.primary, o.firewalls.secondary];
  if (p.error === undefined && s.error === undefined) {
    const pv = p.config?.version ?? "(none)";
    const sv = s.config?.version ?? "(none)";
    out.push(check({ check: "config.xml <version>", node: "cluster", expected: "the same on both", found: `${p.name}=${pv}, ${s.name}=${sv}` }, pv === sv && pv !== "(none)",
      `XMLRPC sync refuses different config versions: upgrade the node on the older pfSense release so both run the same one`));
  }
  if (p.pf?.states !== undefined && s.pf?.states !== undefined) {
    // pfsync copies every state to the peer (bulk update at start, then each change): the backup's table tracks the
    // master's. A backup with under half the master's states (once there are some) means pfsync is not delivering.
    const [ps, ss] = [p.pf.states, s.pf.states];
    const ok = ps < 20 || ss >= ps / 2;
    out.push(check({ check: "pf states synced", node: "cluster", expected: "secondary's state count tracks the primary's", found: `${p.name}=${ps}, ${s.name}=${ss}` }, ok,
      `pfsync is not delivering states to ${s.name}: check the pfsync rule on the sync interface, the syncpeer addresses and that both nodes run the same pfSense version`));
  }
  if (p.error === undefined) {
    const node = `${p.name} (primary)`;
    const to = p.config?.synchronizeToIp;
    out.push(check({ check: "xmlrpc target", node, expected: e.xmlrpcTarget, found: to ?? "(not set)" }, to === e.xmlrpcTarget,
      `set System > High Avail. Sync > Synchronize Config to IP on ${p.name} to the secondary's sync address ${e.xmlrpcTarget} (\`pulumi up\` writes it)`));
    if (p.xmlrpc) {
      // The probe computes the port as xmlrpc_client.inc does (the primary's webGUI port): the sync rule must allow it.
      const port = Number(/:(\d+)$/.exec(p.xmlrpc.target)?.[1] ?? NaN);
      if (!Number.isNaN(port)) out.push(check({ check: "xmlrpc port", node, expected: String(e.xmlrpcPort), found: String(port) }, port === e.xmlrpcPort,
        `the primary's XMLRPC client connects to its webGUI port ${port}, but the sync rule allows ${e.xmlrpcPort}: set pfsense-ha:cluster.hasync.webguiPort to ${port} and run \`pulumi up\``));
      const x = p.xmlrpc;
      out.push(check({ check: "xmlrpc sync", node, expected: `${x.target} answers pfsense.host_firmware_version with the sync credentials`, found: x.detail },
        x.authenticated,
        x.reachable
          ? `the secondary refused the primary's XMLRPC credentials: pfsense-ha:xmlrpcPassword must be the secondary's webGUI password of the hasync user (System > User Manager on the secondary), then \`pulumi up\``
          : `the primary cannot reach ${x.target}: allow the webGUI port on the secondary's sync interface (the pfsense-ha sync rule), check the sync link and that both webGUIs use the same protocol/port`));
    }
  }
  return out;
}

function countersOf(n: NodeObservation, i: 0 | 1, bridge: string | undefined, ofport: number | undefined, name: string) {
  const b = bridge === undefined ? undefined : n.counters[i][bridge];
  if (!b) return undefined;
  return (ofport !== undefined ? b[String(ofport)] : undefined) ?? b[name];
}

function tunnelChecks(e: VerifyExpectations, o: Observations): Check[] {
  const out: Check[] = [];
  for (const t of e.tunnels) {
    for (const tn of t.nodes) {
      const n = o.nodes.find((x) => x.node === tn.node);
      const nodeLabel = tn.node;
      if (!n || n.error !== undefined) {
        out.push(check({ check: `vxlan ${t.network} reachable`, node: nodeLabel, expected: "SSH + probe ok", found: n?.error ?? "not probed" }, false,
          `fix SSH access to ${tn.node} and run verify again`));
        continue;
      }
      for (const peer of tn.peers) {
        const what = `vxlan ${t.network} key ${t.key} -> ${peer.name}`;
        const port = n.ports.find((p) => p.key === String(t.key) && p.remoteIp === peer.address);
        if (!port) {
          out.push(check({ check: what, node: nodeLabel, expected: `a vxlan port on ${t.bridge} to ${peer.address}`, found: "absent" }, false,
            `no VXLAN port for key ${t.key} towards ${peer.address} on ${tn.node}: run \`pulumi up\` (VxlanTunnel)`));
          continue;
        }
        const realised = port.ofport !== undefined && port.ofport > 0 && port.error === undefined && port.bridge === t.bridge;
        out.push(check({ check: `${what} realised`, node: nodeLabel, expected: `ofport > 0, no error, on ${t.bridge}`,
          found: `${port.name} ofport ${port.ofport ?? "[]"}${port.error ? ` error "${port.error}"` : ""} on ${port.bridge ?? "(no bridge)"}` }, realised,
          port.error
            ? `ovs-vswitchd could not create ${port.name}: ${port.error}; fix the cause (duplicate tunnel, bad remote_ip) and run \`pulumi up\``
            : `${port.name} is not in the datapath: check that ovs-vswitchd runs and bridge ${t.bridge} exists in the datapath (\`ovs-vsctl show\`, vswitchd log)`));
        if (port.bfdEnabled) {
          const st = port.bfdStatus;
          const ok = st.state === "up" && st.remote_state === "up" && st.forwarding === "true";
          out.push(check({ check: `${what} peer (BFD)`, node: nodeLabel, expected: "state up, remote_state up, forwarding true",
            found: `state ${st.state ?? "-"}, remote_state ${st.remote_state ?? "-"}, forwarding ${st.forwarding ?? "-"}${st.diagnostic && st.diagnostic !== "No Diagnostic" ? ` (${st.diagnostic})` : ""}` }, ok,
            `BFD says ${peer.name} is not answering on the tunnel: check the underlay between ${tn.node} and ${peer.name} (UDP ${t.dstPort} allowed: with the Proxmox firewall on, add an IN rule for UDP ${t.dstPort} from the other nodes' underlay addresses; MTU, remote_ip ${peer.address}) and that ${peer.name} has the matching port`));
        } else if (t.bfd) {
          out.push(check({ check: `${what} peer (BFD)`, node: nodeLabel, expected: "bfd:enable=true", found: "BFD off" }, false,
            `the stack enables BFD on ${t.network} but ${port.name} has none: run \`pulumi up\``));
        } else {
          out.push({ check: `${what} peer`, node: nodeLabel, expected: "a liveness signal", found: `BFD off (link_state ${port.linkState ?? "-"} says nothing about the peer)`, status: "warn",
            hint: `enable networks.${t.network}.vxlan.bfd: true to have the peer's liveness checked` });
        }
        const a = countersOf(n, 0, port.bridge, port.ofport, port.name);
        const b = countersOf(n, 1, port.bridge, port.ofport, port.name);
        const moved = a !== undefined && b !== undefined && (b.rxPackets > a.rxPackets || b.txPackets > a.txPackets);
        const found = a && b ? `rx +${b.rxPackets - a.rxPackets}, tx +${b.txPackets - a.txPackets} in ${n.windowMs} ms` : "no counters";
        const mustMove = port.bfdEnabled || t.carriesCarp;
        if (moved || mustMove) {
          out.push(check({ check: `${what} traffic`, node: nodeLabel, expected: "counters moving", found }, moved,
            port.bfdEnabled
              ? `no packets crossed ${port.name} although BFD runs on it: the tunnel is broken; check the underlay and ovs-vswitchd`
              : `no CARP advertisements crossed ${port.name}: check that the firewalls' ${t.network} NICs are on ${t.bridge} and the VIP is configured`));
        } else {
          out.push({ check: `${what} traffic`, node: nodeLabel, expected: "counters moving", found, status: "warn",
            hint: `idle network without BFD: no traffic is expected; enable vxlan.bfd to get a liveness signal` });
        }
      }
    }
  }
  return out;
}

/** Per stretched network: frames of the network's MTU cross it with DF set (the primary pings the secondary). */
function mtuChecks(e: VerifyExpectations, o: Observations): Check[] {
  const p = o.firewalls.primary;
  if (p.error !== undefined) return [];
  const node = `${p.name} (primary)`;
  return e.mtuPaths.map((m) => {
    const size = m.mtu - PING_OVERHEAD;
    const r = p.mtuPings?.find((x) => x.network === m.network && x.size === size && x.address === m.address);
    const expected = `${m.mtu}-byte frames reach ${m.address} unfragmented (ping -D -s ${size})`;
    const found = !r ? "not probed" : r.ok ? `replied (${r.detail})` : `frames of ${m.mtu} bytes do not cross ${m.network}: the path MTU is lower (${r.detail})`;
    return check({ check: `mtu ${m.network}`, node, expected, found }, !!r && r.ok,
      `every hop of ${m.network} must carry ${m.mtu} bytes: the firewall VMs' NICs (mtu ${m.mtu} on the VM's network device) and pfSense's <mtu> on the interface (\`pulumi up\` sets both), ` +
      `bridge ${m.bridge} and its ports on each Proxmox node (\`ip link show\`), and the underlay between the nodes at ${m.mtu + 50} or more (VXLAN adds 50 bytes; raise the underlay MTU or the network's underlayMtu)`);
  });
}

/** A node with the Proxmox firewall on drops VXLAN unless UDP dstPort is allowed from the other nodes' underlay addresses. */
function pveFirewallChecks(e: VerifyExpectations, o: Observations): Check[] {
  const out: Check[] = [];
  const ports = [...new Set(e.tunnels.map((t) => t.dstPort))];
  for (const n of o.nodes) {
    if (n.error !== undefined || !n.pveFirewall?.enabled || ports.length === 0) continue;
    const peers = e.tunnels[0].nodes.find((x) => x.node === n.node)?.peers ?? [];
    const rules = ports.flatMap((port) => peers.map((peer) => `IN ACCEPT -p udp -dport ${port} -source ${peer.address}`));
    out.push({
      check: "proxmox firewall",
      node: n.node,
      expected: `UDP ${ports.join(", ")} open from ${peers.map((x) => `${x.name} ${x.address}`).join(", ") || "the other nodes"}`,
      found: `on (${n.pveFirewall.detail})`,
      status: "warn",
      hint: `VXLAN needs UDP ${ports.join(", ")} open between the underlay addresses: in Datacenter > Firewall add ${rules.map((r) => `\`${r}\``).join(", ")} (verify cannot read whether such a rule exists)`,
    });
  }
  return out;
}

function driftChecks(o: Observations): Check[] {
  const out: Check[] = [];
  for (const role of ROLES) {
    const d = o.drift?.[role];
    const fw = o.firewalls[role];
    if (!d || fw.error !== undefined) continue;
    const node = `${fw.name} (${role})`;
    if ("error" in d) {
      out.push(check({ check: "desired state", node, expected: "config.xml as the stack writes it", found: d.error }, false, `fix the error above, then run \`pfsense-ha render --live\``));
      continue;
    }
    out.push(check({ check: "desired state", node, expected: "config.xml as the stack writes it", found: d.lines.length ? `${d.lines.length} line(s) differ` : "equal" },
      d.lines.length === 0, `run \`pfsense-ha render --stack NAME --live\` to see the difference, then \`pulumi up\` to converge`));
  }
  return out;
}

export function evaluate(e: VerifyExpectations, o: Observations): Check[] {
  return [...firewallChecks(e, o), ...vipChecks(e, o), ...syncChecks(e, o), ...(e.haState ? haStateChecks(e.haState, o) : []), ...(e.inboundNat ? inboundNatChecks(e.inboundNat, o) : []), ...tunnelChecks(e, o), ...pveFirewallChecks(e, o), ...mtuChecks(e, o), ...driftChecks(o)];
}

export function failed(checks: Check[]): Check[] {
  return checks.filter((c) => c.status === "fail");
}
