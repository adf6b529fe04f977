// Dynamic provider for one OVS bridge on one Proxmox node. Methods run in Pulumi's provider host after closure
// serialization: connections are made inside the methods, modules (not live objects) are captured.
import type * as pulumi from "@pulumi/pulumi";
import {
  bridgeCommands,
  bridgeDeleteCommands,
  bridgeFileEdit,
  bridgePreflight,
  bridgeRemoveEdit,
  bridgeStateOf,
  isOwnedBridge,
} from "./bridge-plan";
import { changedKeys, checkResult, pendingChangesError, sameNode } from "./common";
import { submitOvsOp, type FileEdit, type HostOp, type OpPlan } from "./host-batch";
import type { HostSnapshot } from "./snapshot";
import { INTERFACES_FILE, type OvsBridgeInputs, type OvsBridgeState } from "./types";
import { validateBridgeInputs } from "./validate";

type BridgeOuts = OvsBridgeState & { created: boolean };

/** Create/update as one batched host operation: plan against the host's state, then read the result back. */
function applyBridgeOp(i: OvsBridgeInputs, old?: BridgeOuts): HostOp<BridgeOuts> {
  let created = false;
  return {
    plan: (snap: HostSnapshot): OpPlan => {
      const alreadyOurs = !!old || isOwnedBridge(snap, i.name);
      const errs = bridgePreflight(i, snap, alreadyOurs);
      if (errs.length) throw new Error(errs.join("\n"));
      // Refuse before touching OVS, so a refusal leaves the host exactly as it was; only a file edit conflicts with
      // Proxmox's pending changes (a repair of OVS alone does not).
      const edit = bridgeFileEdit(i, old?.uplink);
      if (snap.pendingNew && edit(snap.interfacesFile ?? "") !== (snap.interfacesFile ?? "")) throw pendingChangesError(i.node);
      // Ours if we made it now or earlier (tagged); an untagged bridge taken over with adopt is left in place on delete.
      created = old ? old.created : !snap.bridges.some((b) => b.name === i.name) || isOwnedBridge(snap, i.name);
      return { commands: bridgeCommands(i, old?.uplink), edits: [{ path: INTERFACES_FILE, edit }] };
    },
    finish: (after: HostSnapshot): BridgeOuts => {
      const state = bridgeStateOf(i, after, created);
      const own = after.interfaces.find((x) => x.name === i.name);
      if (!state.present || own?.error || own?.ofport === undefined) {
        throw new Error(
          `${i.node}: bridge ${i.name} was not realised by ovs-vswitchd (${own?.error ?? "no ofport"}); ` +
            `with the kernel datapath unavailable set datapathType: "netdev"`,
        );
      }
      return state;
    },
  };
}

function deleteBridgeOp(props: BridgeOuts): HostOp<void> {
  return {
    plan: (snap: HostSnapshot): OpPlan => {
      if (!snap.bridges.some((b) => b.name === props.name) && !snap.interfacesFile?.includes(`iface ${props.name} `)) return { commands: [], edits: [] };
      const cmds = bridgeDeleteCommands(props.name, props.uplink, snap, !!props.forceDelete, props.created !== false);
      if (snap.pendingNew && props.created !== false) throw pendingChangesError(props.node);
      if (props.uplink) cmds.unshift(["--if-exists", "del-port", props.uplink]);
      const edits: FileEdit[] = props.created !== false ? [{ path: INTERFACES_FILE, edit: bridgeRemoveEdit(props.name, props.uplink) }] : [];
      return { commands: cmds, edits };
    },
    finish: (after: HostSnapshot) => {
      if (props.created !== false && isOwnedBridge(after, props.name)) throw new Error(`${props.node}: bridge ${props.name} is still there`);
    },
  };
}

export class OvsBridgeProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: OvsBridgeInputs, news: OvsBridgeInputs) {
    return checkResult(news, validateBridgeInputs(news));
  }

  async diff(_id: string, olds: BridgeOuts, news: OvsBridgeInputs) {
    const replaces: string[] = [];
    if (olds.name !== news.name) replaces.push("name");
    if (!sameNode(olds.endpoint, news.endpoint)) replaces.push("endpoint");
    const updates = changedKeys<OvsBridgeInputs>(olds, news, ["uplink", "mtu", "datapathType", "adopt", "forceDelete", "endpoint", "node"]);
    const drift = olds.present === false || olds.persisted === false;
    return {
      changes: replaces.length > 0 || updates.length > 0 || drift,
      replaces,
      // The uplink NIC cannot be a port of two bridges at once.
      deleteBeforeReplace: replaces.length > 0,
    };
  }

  async create(inputs: OvsBridgeInputs) {
    const outs = await submitOvsOp(inputs.endpoint, inputs.node, applyBridgeOp(inputs));
    return { id: `${inputs.endpoint.host}/${inputs.name}`, outs };
  }

  async read(id: string, props: BridgeOuts) {
    const snap = await submitOvsOp(props.endpoint, props.node, { finish: (s: HostSnapshot) => s });
    const inputs: OvsBridgeInputs = { ...props };
    for (const k of ["stateVersion", "present", "persisted", "ports", "created"]) delete (inputs as unknown as Record<string, unknown>)[k];
    return { id, props: bridgeStateOf(inputs, snap, props.created) };
  }

  async update(_id: string, olds: BridgeOuts, news: OvsBridgeInputs) {
    const outs = await submitOvsOp(news.endpoint, news.node, applyBridgeOp(news, olds));
    return { outs };
  }

  async delete(_id: string, props: BridgeOuts) {
    await submitOvsOp(props.endpoint, props.node, deleteBridgeOp(props));
  }
}
