// The OVS fabric of n lab Proxmox nodes (a bridge per network on every node, a full VXLAN mesh per network) driven
// through the OVS providers the way Pulumi's engine drives them in one `pulumi up --refresh`: a fresh process (no
// pooled connection, no remembered host state), check, every read at once, diff, then the creates/updates (a node's
// share of a mesh after that node's bridge of the network, as PfSenseHaCluster's dependsOn says), then the deletes
// in reverse order (tunnels, then bridges). Used by tests/integration/ovs-scale.test.ts and bench/ovs-scale.ts.
import { readFileSync } from "fs";
import { hostPath, labExec, labProxmoxNodes, sshEndpointOf, type LabInventory, labSh } from "../../lab/inventory";
import { OvsBridgeProvider } from "../../providers/ovs/bridgeProvider";
import { forgetOvsState } from "../../providers/ovs/host-batch";
import { VxlanNodeProvider } from "../../providers/ovs/tunnelProvider";
import { editInterfaces } from "../../providers/ovs/interfaces-file";
import { tunnelPortName } from "../../providers/ovs/naming";
import { INTERFACES_FILE, TUNNELS_FILE, type OvsBridgeInputs, type VxlanNodeInputs } from "../../providers/ovs/types";
import { closeAllHosts, sshStats } from "../../providers/ssh";

export interface MeshNetwork {
  bridge: string;
  /** The tunnel id (the program's VxlanTunnel name); the port names derive from it. */
  tunnelId: string;
  vni: number;
}

export type MeshResource =
  | { key: string; kind: "bridge"; node: string; inputs: OvsBridgeInputs }
  | { key: string; kind: "tunnel"; node: string; inputs: VxlanNodeInputs };

export interface MeshEntry {
  kind: "bridge" | "tunnel";
  id: string;
  outs: Record<string, unknown>;
}

/** What a run left in the stack's state, by resource key. */
export type MeshState = Map<string, MeshEntry>;

/** The desired resources for `nodes` (lab host names) and `networks`, as PfSenseHaCluster declares them. */
export function meshResources(inv: LabInventory, nodes: readonly string[], networks: readonly MeshNetwork[]): MeshResource[] {
  const out: MeshResource[] = [];
  for (const net of networks) {
    for (const h of nodes) {
      const endpoint = sshEndpointOf(inv.hosts[h], inv);
      out.push({ key: `br-${net.bridge}-${h}`, kind: "bridge", node: h, inputs: { endpoint, node: h, name: net.bridge, datapathType: "netdev" } });
    }
    for (const h of nodes) {
      const endpoint = sshEndpointOf(inv.hosts[h], inv);
      out.push({
        key: `vx-${net.tunnelId}-${h}`,
        kind: "tunnel",
        node: h,
        inputs: {
          endpoint,
          node: h,
          tunnelId: net.tunnelId,
          bridge: net.bridge,
          vni: net.vni,
          underlayAddress: inv.hosts[h].underlayAddress!,
          peers: nodes.filter((p) => p !== h).map((p) => ({ name: p, address: inv.hosts[p].underlayAddress! })),
        },
      });
    }
  }
  return out;
}

export interface RunCounts {
  created: number;
  updated: number;
  deleted: number;
  same: number;
  /** Remote commands (SSH round trips) the transport ran. */
  commands: number;
  /** Connections the transport opened. */
  connections: number;
  seconds: number;
}

type Provider = {
  check(olds: unknown, news: unknown): Promise<{ failures?: { property: string; reason: string }[] }>;
  create(i: unknown): Promise<{ id: string; outs: Record<string, unknown> }>;
  read(id: string, props: unknown): Promise<{ props?: Record<string, unknown> }>;
  diff(id: string, o: unknown, n: unknown): Promise<{ changes?: boolean; replaces?: string[] }>;
  update(id: string, o: unknown, n: unknown): Promise<{ outs?: Record<string, unknown> }>;
  delete(id: string, props: unknown): Promise<void>;
};

/**
 * One `pulumi up --refresh` of the mesh: the state converges to `desired`. `refresh: false` is a plain `up` (diff
 * against the stored state only, no read). Throws on a failed check or a replacement (the mesh never needs one).
 */
export async function converge(state: MeshState, desired: readonly MeshResource[], opts: { refresh?: boolean } = {}): Promise<RunCounts> {
  await closeAllHosts();
  forgetOvsState();
  const providers: Record<MeshEntry["kind"], Provider> = {
    bridge: new OvsBridgeProvider() as unknown as Provider,
    tunnel: new VxlanNodeProvider() as unknown as Provider,
  };
  const s0 = sshStats();
  const t0 = process.hrtime.bigint();
  const counts = { created: 0, updated: 0, deleted: 0, same: 0 };
  for (const r of desired) {
    const prior = state.get(r.key);
    const c = await providers[r.kind].check(prior?.outs ?? {}, r.inputs);
    if (c.failures?.length) throw new Error(`${r.key}: check failed: ${c.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
  if (opts.refresh !== false) {
    await Promise.all(
      [...state].map(async ([key, e]) => {
        const read = await providers[e.kind].read(e.id, e.outs);
        if (read.props) state.set(key, { ...e, outs: read.props });
      }),
    );
  }
  // Each resource starts as soon as what it depends on is done, as the engine schedules steps: a node's share of a
  // mesh waits for that node's bridge of the same network only (PfSenseHaCluster's dependsOn), not for every bridge.
  const step = async (r: MeshResource): Promise<void> => {
    const p = providers[r.kind];
    const prior = state.get(r.key);
    if (!prior) {
      const { id, outs } = await p.create(r.inputs);
      state.set(r.key, { kind: r.kind, id, outs });
      counts.created++;
      return;
    }
    const d = await p.diff(prior.id, prior.outs, r.inputs);
    if (d.replaces?.length) throw new Error(`${r.key}: unexpected replacement (${d.replaces.join(", ")})`);
    if (!d.changes) {
      counts.same++;
      return;
    }
    const u = await p.update(prior.id, prior.outs, r.inputs);
    state.set(r.key, { ...prior, outs: u.outs ?? prior.outs });
    counts.updated++;
  };
  const bridgeDone = new Map<string, Promise<void>>();
  for (const r of desired) if (r.kind === "bridge") bridgeDone.set(`${r.node}/${r.inputs.name}`, step(r));
  await Promise.all([
    ...bridgeDone.values(),
    ...desired
      .filter((r) => r.kind === "tunnel")
      .map(async (r) => {
        await bridgeDone.get(`${r.node}/${(r.inputs as VxlanNodeInputs).bridge}`);
        await step(r);
      }),
  ]);
  const wanted = new Set(desired.map((r) => r.key));
  for (const kind of ["tunnel", "bridge"] as const) {
    await Promise.all(
      [...state]
        .filter(([key, e]) => e.kind === kind && !wanted.has(key))
        .map(async ([key, e]) => {
          await providers[kind].delete(e.id, e.outs);
          state.delete(key);
          counts.deleted++;
        }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const s1 = sshStats();
  await closeAllHosts();
  return { ...counts, commands: s1.commands - s0.commands, connections: s1.connections - s0.connections, seconds };
}

const SSHD_LOG = "/var/log/pfha-sshd.log";

/** Connections each host's sshd accepted so far (the server's own count, from its log). */
export function acceptedPerHost(inv: LabInventory, hosts: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    hosts.map((h) => {
      let text = "";
      try {
        text = readFileSync(hostPath(inv, h, SSHD_LOG), "utf8");
      } catch {
        /* no connection yet */
      }
      return [h, (text.match(/Accepted publickey/g) ?? []).length];
    }),
  );
}

/**
 * What a no-op run must leave byte-identical on `hosts`: the interfaces files and the OVS rows (uuids, names, types,
 * options, tags, BFD, MTU requests).
 */
export async function fabricFingerprint(inv: LabInventory, hosts: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    hosts.map((h) =>
      labSh(
        inv,
        h,
        "cat /etc/network/interfaces /etc/network/interfaces.d/pfsense-ha 2>/dev/null; ovs-vsctl --format=json --columns=_uuid,name,type,options,external_ids,bfd,mtu_request list interface; ovs-vsctl --format=json --columns=_uuid,name,ports,external_ids list bridge",
      ),
    ),
  );
  return parts.join("\n");
}

/**
 * Remove the mesh by hand: its bridges (and with them their ports), its tunnel stanzas (other stanzas in the file
 * stay), and each main interfaces file as it was (`pristine`).
 */
export async function wipeMesh(inv: LabInventory, hosts: readonly string[], networks: readonly MeshNetwork[], pristine: Record<string, string>): Promise<void> {
  const all = labProxmoxNodes(inv);
  await Promise.all(
    hosts.map(async (h) => {
      await labSh(inv, h, `ovs-vsctl ${networks.map((n) => `-- --if-exists del-br ${n.bridge}`).join(" ")}; rm -f /etc/network/interfaces.new`);
      let tunnels: string | undefined;
      try {
        tunnels = readFileSync(hostPath(inv, h, TUNNELS_FILE), "utf8");
      } catch {
        tunnels = undefined;
      }
      if (tunnels !== undefined) {
        const ours = networks.flatMap((n) => all.map((p) => tunnelPortName(n.tunnelId, p)));
        await labExec(inv, h, `cat > ${TUNNELS_FILE}`, { stdin: editInterfaces(tunnels, [], ours) });
      }
      if (pristine[h] !== undefined) await labExec(inv, h, `cat > ${INTERFACES_FILE}`, { stdin: pristine[h] });
    }),
  );
}
