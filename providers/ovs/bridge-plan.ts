// OvsBridge, pure part: the stanzas it persists, the transaction it applies, and its state as read from a host.
import { plainData } from "../plain-data";
import { editInterfaces, ensureSourceLine, parseInterfacesFile, type StanzaSpec } from "./interfaces-file";
import { CONDONE_REGEX, OWNER_KEY, OWNER_VALUE } from "./naming";
import type { HostSnapshot } from "./snapshot";
import { portsOfBridge } from "./snapshot";
import type { OvsBridgeInputs, OvsBridgeState } from "./types";
import { uplinkProblems } from "./uplink";
import { deleteBridgeCommands, deletePortCommands, ensureBridgeCommands, ensureUplinkCommands, type VsctlCommand } from "./vsctl";

/** Keys of a bridge stanza that are ours; every other line in it (a human's address, post-up, …) is kept as is. */
const BRIDGE_KEYS = ["ovs_type", "ovs_ports", "ovs_mtu", "mtu", "ovs_options", "ovs_ports_condone_regex", "ovs_extra"];
const UPLINK_KEYS = ["ovs_type", "ovs_bridge", "ovs_extra"];
const words = (v: string | undefined) => (v ?? "").split(/\s+/).filter(Boolean);

/**
 * Stanzas in /etc/network/interfaces that Proxmox parses (OVSBridge, OVSPort) and ifupdown2 replays at boot. An
 * existing stanza is merged, not replaced: ovs_ports keeps every member that is not ours (an OVSIntPort added in the
 * GUI), ovs_options every option that is not the datapath, and lines with other keys stay byte for byte.
 */
export function bridgeStanzas(i: OvsBridgeInputs, oldUplink?: string): StanzaSpec[] {
  const dp = i.datapathType ?? "system";
  const notOurs = new Set([oldUplink, i.uplink].filter((x): x is string => !!x));
  const opts: [string, string][] = [
    ["ovs_type", "OVSBridge"],
    ["ovs_ports", ""],
  ];
  if (i.mtu !== undefined) opts.push(["ovs_mtu", String(i.mtu)]);
  opts.push(["ovs_options", ""]);
  opts.push(["ovs-ports-condone-regex", CONDONE_REGEX]);
  // ifupdown2 clears external_ids on every reload, then runs ovs_extra: the ownership mark lives here.
  opts.push(["ovs_extra", `br-set-external-id ${i.name} ${OWNER_KEY} ${OWNER_VALUE}`]);
  const out: StanzaSpec[] = [
    {
      name: i.name,
      options: opts,
      merge: {
        owned: BRIDGE_KEYS,
        values: {
          ovs_ports: (cur) => [...(i.uplink ? [i.uplink] : []), ...words(cur).filter((p) => !notOurs.has(p))].join(" "),
          ovs_options: (cur) =>
            [...(dp !== "system" ? [`datapath_type=${dp}`] : []), ...words(cur).filter((o) => !o.startsWith("datapath_type="))].join(" "),
        },
      },
    },
  ];
  if (i.uplink) {
    out.push({
      name: i.uplink,
      options: [
        ["ovs_type", "OVSPort"],
        ["ovs_bridge", i.name],
        ["ovs_extra", `set port ${i.uplink} external_ids:${OWNER_KEY}=${OWNER_VALUE}`],
      ],
      merge: { owned: UPLINK_KEYS },
    });
  }
  return out;
}

export function bridgeCommands(i: OvsBridgeInputs, oldUplink?: string): VsctlCommand[] {
  const cmds = ensureBridgeCommands(i.name, i.datapathType ?? "system", i.mtu);
  if (oldUplink && oldUplink !== i.uplink) cmds.push(...deletePortCommands(oldUplink));
  if (i.uplink) cmds.push(...ensureUplinkCommands(i.name, i.uplink));
  return cmds;
}

export function bridgeFileEdit(i: OvsBridgeInputs, oldUplink?: string): (text: string) => string {
  const remove = oldUplink && oldUplink !== i.uplink ? [oldUplink] : [];
  return (text) => ensureSourceLine(editInterfaces(text, bridgeStanzas(i, oldUplink), remove));
}

/**
 * Remove the bridge's stanza and its uplink's. A member a human added to ovs_ports keeps its own stanza (Proxmox's
 * writer then drops its OVS type, as it does when the bridge is deleted in the GUI).
 */
export function bridgeRemoveEdit(name: string, uplink?: string): (text: string) => string {
  return (text) => editInterfaces(text, [], uplink ? [name, uplink] : [name]);
}

/** Is the persisted stanza what we would write? Lines and ports that are not ours never count. */
export function bridgePersisted(i: OvsBridgeInputs, file: string | undefined): boolean {
  if (file === undefined) return false;
  const names = bridgeStanzas(i).map((s) => s.name);
  const { stanzas } = parseInterfacesFile(file);
  if (!names.every((n) => stanzas.some((s) => s.name === n))) return false;
  return editInterfaces(file, bridgeStanzas(i)) === file;
}

export function isOwnedBridge(s: HostSnapshot, name: string): boolean {
  return s.bridges.find((b) => b.name === name)?.externalIds[OWNER_KEY] === OWNER_VALUE;
}

/** The state `read` reports: the inputs plus what the host really has. */
export function bridgeStateOf(i: OvsBridgeInputs, s: HostSnapshot, created: boolean): OvsBridgeState & { created: boolean } {
  const b = s.bridges.find((x) => x.name === i.name);
  const own = s.interfaces.find((x) => x.name === i.name);
  const ports = portsOfBridge(s, i.name).map((p) => p.name).sort();
  const dp = b ? b.datapathType || "system" : undefined;
  const present =
    !!b &&
    b.externalIds[OWNER_KEY] === OWNER_VALUE &&
    dp === (i.datapathType ?? "system") &&
    (i.uplink === undefined || ports.includes(i.uplink)) &&
    (i.mtu === undefined || own?.mtuRequest === i.mtu);
  return plainData({ ...i, stateVersion: 1 as const, present, persisted: bridgePersisted(i, s.interfacesFile), ports, created });
}

/** Errors that must stop create/update before anything is changed. */
export function bridgePreflight(i: OvsBridgeInputs, s: HostSnapshot, alreadyOurs: boolean): string[] {
  const errs: string[] = [];
  const b = s.bridges.find((x) => x.name === i.name);
  if (b && !alreadyOurs && b.externalIds[OWNER_KEY] !== OWNER_VALUE && !i.adopt) {
    errs.push(`${i.node}: bridge ${i.name} already exists and was not created by pfsense-ha; set adopt: true to manage it, or choose another name`);
  }
  if (i.uplink) {
    errs.push(...uplinkProblems(i.node, i.name, i.uplink, s));
    const holder = s.bridges.find((x) => x.name !== i.name && portsOfBridge(s, x.name).some((p) => p.name === i.uplink));
    if (holder) errs.push(`${i.node}: uplink ${i.uplink} is already a port of bridge ${holder.name}; remove it there first or pick another NIC`);
  }
  return errs;
}

export function bridgeDeleteCommands(name: string, uplink: string | undefined, s: HostSnapshot, force: boolean, created: boolean): VsctlCommand[] {
  const foreign = portsOfBridge(s, name).filter((p) => p.name !== uplink && p.externalIds[OWNER_KEY] !== OWNER_VALUE);
  if (!created) {
    // Adopted: leave the bridge, drop only our mark and our uplink.
    return [["--if-exists", "remove", "bridge", name, "external_ids", OWNER_KEY]];
  }
  if (foreign.length && !force) {
    throw new Error(
      `bridge ${name} still has ports pfsense-ha did not create (${foreign.map((p) => p.name).join(", ")}); ` +
        `move or delete them, or set forceDelete: true to remove the bridge anyway`,
    );
  }
  return deleteBridgeCommands(name);
}
