// OvsBridge, pure part: the stanzas it persists, the transaction it applies, and its state as read from a host.
import { plainData } from "../plain-data";
import { editInterfaces, ensureSourceLine, optionOf, parseInterfacesFile, type StanzaSpec } from "./interfaces-file";
import { CONDONE_REGEX, OWNER_KEY, OWNER_VALUE } from "./naming";
import type { HostSnapshot } from "./snapshot";
import { portsOfBridge } from "./snapshot";
import type { OvsBridgeInputs, OvsBridgeState } from "./types";
import { deleteBridgeCommands, deletePortCommands, ensureBridgeCommands, ensureUplinkCommands, type VsctlCommand } from "./vsctl";

/** Stanzas in /etc/network/interfaces that Proxmox parses (OVSBridge, OVSPort) and ifupdown2 replays at boot. */
export function bridgeStanzas(i: OvsBridgeInputs): StanzaSpec[] {
  const opts: [string, string][] = [["ovs_type", "OVSBridge"]];
  if (i.uplink) opts.push(["ovs_ports", i.uplink]);
  if (i.mtu !== undefined) opts.push(["ovs_mtu", String(i.mtu)]);
  if ((i.datapathType ?? "system") !== "system") opts.push(["ovs_options", `datapath_type=${i.datapathType}`]);
  opts.push(["ovs-ports-condone-regex", CONDONE_REGEX]);
  // ifupdown2 clears external_ids on every reload, then runs ovs_extra: the ownership mark lives here.
  opts.push(["ovs_extra", `br-set-external-id ${i.name} ${OWNER_KEY} ${OWNER_VALUE}`]);
  const out: StanzaSpec[] = [{ name: i.name, options: opts }];
  if (i.uplink) {
    out.push({
      name: i.uplink,
      options: [
        ["ovs_type", "OVSPort"],
        ["ovs_bridge", i.name],
        ["ovs_extra", `set port ${i.uplink} external_ids:${OWNER_KEY}=${OWNER_VALUE}`],
      ],
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
  return (text) => ensureSourceLine(editInterfaces(text, bridgeStanzas(i), remove));
}

export function bridgeRemoveEdit(name: string, uplink?: string): (text: string) => string {
  return (text) => editInterfaces(text, [], uplink ? [name, uplink] : [name]);
}

/** Is the persisted stanza exactly what we would write? */
export function bridgePersisted(i: OvsBridgeInputs, file: string | undefined): boolean {
  if (file === undefined) return false;
  const { stanzas } = parseInterfacesFile(file);
  return bridgeStanzas(i).every((want) => {
    const got = stanzas.find((s) => s.name === want.name);
    return !!got && want.options.every(([k, v]) => optionOf(got, k.replace(/-/g, "_")) === v);
  });
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
