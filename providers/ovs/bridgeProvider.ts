// Dynamic provider for one OVS bridge on one Proxmox node. Methods run in Pulumi's provider host after closure
// serialization: connections are made inside the methods, modules (not live objects) are captured.
import type * as pulumi from "@pulumi/pulumi";
import { connectHost } from "../ssh";
import type { SshHost } from "../ssh/types";
import {
  bridgeCommands,
  bridgeDeleteCommands,
  bridgeFileEdit,
  bridgePreflight,
  bridgeRemoveEdit,
  bridgeStateOf,
  isOwnedBridge,
} from "./bridge-plan";
import { changedKeys, checkResult, hostKeyOf, sameNode } from "./common";
import { applyTransaction, editRemoteFile, pendingChangesError, readSnapshot, withHostQueue } from "./host-io";
import { INTERFACES_FILE, type OvsBridgeInputs, type OvsBridgeState } from "./types";
import { validateBridgeInputs } from "./validate";

type BridgeOuts = OvsBridgeState & { created: boolean };

async function applyBridge(host: SshHost, i: OvsBridgeInputs, old?: BridgeOuts): Promise<BridgeOuts> {
  const snap = await readSnapshot(host);
  const alreadyOurs = !!old || isOwnedBridge(snap, i.name);
  const errs = bridgePreflight(i, snap, alreadyOurs);
  if (errs.length) throw new Error(errs.join("\n"));
  // Refuse before touching OVS, so a refusal leaves the host exactly as it was.
  if (snap.pendingNew) throw pendingChangesError(i.node);
  // Ours if we made it now or earlier (tagged); an untagged bridge taken over with adopt is left in place on delete.
  const created = old ? old.created : !snap.bridges.some((b) => b.name === i.name) || isOwnedBridge(snap, i.name);
  await applyTransaction(host, bridgeCommands(i, old?.uplink));
  await editRemoteFile(host, i.node, INTERFACES_FILE, snap.interfacesFile, bridgeFileEdit(i, old?.uplink), true);
  const snapAfter = await readSnapshot(host);
  const after = bridgeStateOf(i, snapAfter, created);
  const own = snapAfter.interfaces.find((x) => x.name === i.name);
  if (!after.present || own?.error || own?.ofport === undefined) {
    throw new Error(
      `${i.node}: bridge ${i.name} was not realised by ovs-vswitchd (${own?.error ?? "no ofport"}); ` +
        `with the kernel datapath unavailable set datapathType: "netdev"`,
    );
  }
  return after;
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
    const host = await connectHost(inputs.endpoint);
    const outs = await withHostQueue(hostKeyOf(inputs.endpoint), () => applyBridge(host, inputs));
    return { id: `${inputs.endpoint.host}/${inputs.name}`, outs };
  }

  async read(id: string, props: BridgeOuts) {
    const host = await connectHost(props.endpoint);
    const snap = await withHostQueue(hostKeyOf(props.endpoint), () => readSnapshot(host));
    const inputs: OvsBridgeInputs = { ...props };
    for (const k of ["stateVersion", "present", "persisted", "ports", "created"]) delete (inputs as unknown as Record<string, unknown>)[k];
    return { id, props: bridgeStateOf(inputs, snap, props.created) };
  }

  async update(_id: string, olds: BridgeOuts, news: OvsBridgeInputs) {
    const host = await connectHost(news.endpoint);
    const outs = await withHostQueue(hostKeyOf(news.endpoint), () => applyBridge(host, news, olds));
    return { outs };
  }

  async delete(_id: string, props: BridgeOuts) {
    const host = await connectHost(props.endpoint);
    await withHostQueue(hostKeyOf(props.endpoint), async () => {
      const snap = await readSnapshot(host);
      if (!snap.bridges.some((b) => b.name === props.name) && !snap.interfacesFile?.includes(`iface ${props.name} `)) return;
      const cmds = bridgeDeleteCommands(props.name, props.uplink, snap, !!props.forceDelete, props.created !== false);
      if (snap.pendingNew && props.created !== false) throw pendingChangesError(props.node);
      if (props.uplink) cmds.unshift(["--if-exists", "del-port", props.uplink]);
      await applyTransaction(host, cmds);
      if (props.created !== false) {
        await editRemoteFile(host, props.node, INTERFACES_FILE, snap.interfacesFile, bridgeRemoveEdit(props.name, props.uplink), true);
      }
    });
  }
}
