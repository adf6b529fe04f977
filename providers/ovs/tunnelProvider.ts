// Dynamic provider for one node's share of a VXLAN mesh: one port per peer on one bridge. One resource per node
// (not per port) so a node's whole share is one SSH round of read, one ovs-vsctl transaction, one file write.
import type * as pulumi from "@pulumi/pulumi";
import { connectHost } from "../ssh";
import type { SshHost } from "../ssh/types";
import { changedKeys, checkResult, hostKeyOf, sameNode } from "./common";
import { applyTransaction, editRemoteFile, readSnapshot, withHostQueue } from "./host-io";
import { ensureSourceLine } from "./interfaces-file";
import { TUNNEL_ID_KEY } from "./naming";
import {
  desiredPorts,
  portMatches,
  stalePorts,
  tunnelCommands,
  tunnelFileEdit,
  tunnelPortStates,
  tunnelPreflight,
  tunnelRealisationErrors,
  tunnelRemoveEdit,
} from "./tunnel-plan";
import { INTERFACES_FILE, TUNNELS_FILE, type VxlanNodeInputs, type VxlanNodeState } from "./types";
import { validateVxlanNodeInputs } from "./validate";
import { deletePortCommands } from "./vsctl";

function stateOf(i: VxlanNodeInputs, ports: VxlanNodeState["ports"]): VxlanNodeState {
  return { ...i, stateVersion: 1, ports };
}

function inputsOf(props: VxlanNodeState): VxlanNodeInputs {
  const i: Partial<VxlanNodeState> = { ...props };
  delete i.stateVersion;
  delete i.ports;
  return i as VxlanNodeInputs;
}

async function applyTunnel(host: SshHost, i: VxlanNodeInputs, alreadyOurs: boolean): Promise<VxlanNodeState> {
  const snap = await readSnapshot(host);
  const errs = tunnelPreflight(i, snap, alreadyOurs);
  if (errs.length) throw new Error(errs.join("\n"));
  await applyTransaction(host, tunnelCommands(i, snap));
  // Our stanzas live in our own file; the main file only needs its `source` line (refused while GUI edits are pending).
  await editRemoteFile(host, i.node, TUNNELS_FILE, snap.tunnelsFile, tunnelFileEdit(i, snap), false);
  await editRemoteFile(host, i.node, INTERFACES_FILE, snap.interfacesFile, ensureSourceLine, true);
  const ports = tunnelPortStates(i, await readSnapshot(host));
  const bad = tunnelRealisationErrors(i, ports);
  if (bad.length) throw new Error(bad.join("\n"));
  return stateOf(i, ports);
}

const INPUT_KEYS: (keyof VxlanNodeInputs)[] = [
  "vni",
  "peers",
  "dstPort",
  "localIp",
  "bfd",
  "underlayAddress",
  "underlayMtu",
  "overlayMtu",
  "adopt",
  "endpoint",
  "node",
];

export class VxlanNodeProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: VxlanNodeInputs, news: VxlanNodeInputs) {
    return checkResult(news, validateVxlanNodeInputs(news));
  }

  async diff(_id: string, olds: VxlanNodeState, news: VxlanNodeInputs) {
    const replaces: string[] = [];
    if (olds.bridge !== news.bridge) replaces.push("bridge");
    if (olds.tunnelId !== news.tunnelId) replaces.push("tunnelId");
    if (!sameNode(olds.endpoint, news.endpoint)) replaces.push("endpoint");
    const updates = changedKeys<VxlanNodeInputs>(olds, news, INPUT_KEYS);
    // Drift recorded by the last read (refresh): a port missing, changed, unrealised or not persisted.
    const byName = new Map((olds.ports ?? []).map((p) => [p.name, p]));
    const drift = replaces.length === 0 && desiredPorts(news).some((p) => !portMatches(p, byName.get(p.name)));
    return {
      changes: replaces.length > 0 || updates.length > 0 || drift,
      replaces,
      // The old and new ports would be the same (remote_ip, key) tunnel, which OVS refuses to have twice.
      deleteBeforeReplace: replaces.length > 0,
    };
  }

  async create(inputs: VxlanNodeInputs) {
    const host = await connectHost(inputs.endpoint);
    const outs = await withHostQueue(hostKeyOf(inputs.endpoint), () => applyTunnel(host, inputs, false));
    return { id: `${inputs.endpoint.host}/${inputs.tunnelId}`, outs };
  }

  async read(id: string, props: VxlanNodeState) {
    const host = await connectHost(props.endpoint);
    const snap = await withHostQueue(hostKeyOf(props.endpoint), () => readSnapshot(host));
    const i = inputsOf(props);
    return { id, props: stateOf(i, tunnelPortStates(i, snap)) };
  }

  async update(_id: string, _olds: VxlanNodeState, news: VxlanNodeInputs) {
    const host = await connectHost(news.endpoint);
    const outs = await withHostQueue(hostKeyOf(news.endpoint), () => applyTunnel(host, news, true));
    return { outs };
  }

  async delete(_id: string, props: VxlanNodeState) {
    const host = await connectHost(props.endpoint);
    await withHostQueue(hostKeyOf(props.endpoint), async () => {
      const snap = await readSnapshot(host);
      const i = inputsOf(props);
      // Only ports carrying this tunnel's tag (or its stanzas): never a port someone else made.
      const names = [
        ...new Set([
          ...snap.ports.filter((p) => p.externalIds[TUNNEL_ID_KEY] === i.tunnelId).map((p) => p.name),
          ...stalePorts({ ...i, peers: [] }, snap),
        ]),
      ];
      await applyTransaction(host, names.flatMap(deletePortCommands));
      await editRemoteFile(host, i.node, TUNNELS_FILE, snap.tunnelsFile, tunnelRemoveEdit(names), false);
    });
  }
}
