// Dynamic provider for one node's share of a VXLAN mesh: one port per peer on one bridge. One resource per node
// (not per port) so a node's whole share is one SSH round of read, one ovs-vsctl transaction, one file write.
import type * as pulumi from "@pulumi/pulumi";
import { plainData } from "../plain-data";
import { hasUnknown } from "../unknown";
import { changedKeys, checkResult, pendingChangesError, sameNode } from "./common";
import { submitOvsOp, type HostOp, type OpPlan } from "./host-batch";
import { ensureSourceLine } from "./interfaces-file";
import { TUNNEL_ID_KEY } from "./naming";
import type { HostSnapshot } from "./snapshot";
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
  return plainData<VxlanNodeState>({ ...i, stateVersion: 1, ports });
}

function inputsOf(props: VxlanNodeState): VxlanNodeInputs {
  const i: Partial<VxlanNodeState> = { ...props };
  delete i.stateVersion;
  delete i.ports;
  return i as VxlanNodeInputs;
}

/** Create/update as one batched host operation: plan against the host's state, then read the ports back. */
function applyTunnelOp(i: VxlanNodeInputs, alreadyOurs: boolean): HostOp<VxlanNodeState> {
  return {
    plan: (snap: HostSnapshot): OpPlan => {
      const errs = tunnelPreflight(i, snap, alreadyOurs);
      if (errs.length) throw new Error(errs.join("\n"));
      // Our stanzas live in our own file; the main file only needs its `source` line (refused while GUI edits are
      // pending, before anything changes).
      const main = snap.interfacesFile ?? "";
      if (snap.pendingNew && ensureSourceLine(main) !== main) throw pendingChangesError(i.node);
      return {
        commands: tunnelCommands(i, snap),
        edits: [
          { path: TUNNELS_FILE, edit: tunnelFileEdit(i, snap) },
          { path: INTERFACES_FILE, edit: ensureSourceLine },
        ],
      };
    },
    finish: (after: HostSnapshot): VxlanNodeState => {
      const ports = tunnelPortStates(i, after);
      const bad = tunnelRealisationErrors(i, ports);
      if (bad.length) throw new Error(bad.join("\n"));
      return stateOf(i, ports);
    },
  };
}

function deleteTunnelOp(props: VxlanNodeState): HostOp<void> {
  return {
    plan: (snap: HostSnapshot): OpPlan => {
      const i = inputsOf(props);
      // Only ports carrying this tunnel's tag (or its stanzas): never a port someone else made.
      const names = [
        ...new Set([
          ...snap.ports.filter((p) => p.externalIds[TUNNEL_ID_KEY] === i.tunnelId).map((p) => p.name),
          ...stalePorts({ ...i, peers: [] }, snap),
        ]),
      ];
      return { commands: names.flatMap(deletePortCommands), edits: [{ path: TUNNELS_FILE, edit: tunnelRemoveEdit(names) }] };
    },
    finish: (after: HostSnapshot) => {
      const left = after.ports.filter((p) => p.externalIds[TUNNEL_ID_KEY] === props.tunnelId).map((p) => p.name);
      if (left.length) throw new Error(`${props.node}: tunnel ports ${left.join(", ")} are still there`);
    },
  };
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
    // A problem with an unknown field (preview) waits for the real value; these fields are checked against others.
    return checkResult(news, validateVxlanNodeInputs(news), {
      overlayMtu: ["underlayMtu", "underlayAddress"],
      peers: ["underlayAddress", "tunnelId"],
    });
  }

  async diff(_id: string, olds: VxlanNodeState, news: VxlanNodeInputs) {
    const replaces: string[] = [];
    if (olds.bridge !== news.bridge) replaces.push("bridge");
    if (olds.tunnelId !== news.tunnelId) replaces.push("tunnelId");
    if (!sameNode(olds.endpoint, news.endpoint)) replaces.push("endpoint");
    const updates = changedKeys<VxlanNodeInputs>(olds, news, INPUT_KEYS);
    // Drift recorded by the last read (refresh): a port missing, changed, unrealised or not persisted. With unknown
    // inputs (preview) the changed keys already say "update" (an unknown counts as a change).
    const byName = new Map((olds.ports ?? []).map((p) => [p.name, p]));
    const drift = replaces.length === 0 && !hasUnknown(news) && desiredPorts(news).some((p) => !portMatches(p, byName.get(p.name)));
    return {
      changes: replaces.length > 0 || updates.length > 0 || drift,
      replaces,
      // The old and new ports would be the same (remote_ip, key) tunnel, which OVS refuses to have twice.
      deleteBeforeReplace: replaces.length > 0,
    };
  }

  async create(inputs: VxlanNodeInputs) {
    const outs = await submitOvsOp(inputs.endpoint, inputs.node, applyTunnelOp(inputs, false));
    return { id: `${inputs.endpoint.host}/${inputs.tunnelId}`, outs };
  }

  async read(id: string, props: VxlanNodeState) {
    const snap = await submitOvsOp(props.endpoint, props.node, { finish: (s: HostSnapshot) => s });
    const i = inputsOf(props);
    return { id, props: stateOf(i, tunnelPortStates(i, snap)) };
  }

  async update(_id: string, _olds: VxlanNodeState, news: VxlanNodeInputs) {
    const outs = await submitOvsOp(news.endpoint, news.node, applyTunnelOp(news, true));
    return { outs };
  }

  async delete(_id: string, props: VxlanNodeState) {
    await submitOvsOp(props.endpoint, props.node, deleteTunnelOp(props));
  }
}
