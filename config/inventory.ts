// A host inventory: SSH settings kept outside the stack file, in a YAML or JSON file that `pfsense-ha:inventory`
// names, so a stack can write `ssh: {inventory: NAME}` where the address, port, user, pinned host key and key file
// of a host change more often than the topology (hosts whose keys are generated when they are set up, a team's
// shared inventory). Each entry is an `ssh:` block (the same keys, checked the same way) plus, for a Proxmox node,
// its `underlayAddress`:
//
//   hosts:
//     pve1: {host: 192.0.2.11, hostKeySha256: "SHA256:…", privateKeyPath: ~/.ssh/id_ed25519, underlayAddress: 10.0.0.11}
//     fw1: {host: 192.0.2.21, port: 22, username: root, hostKeySha256: "SHA256:…", privateKeyPath: ~/.ssh/id_ed25519}
//
// The file is read by the I/O shell (config/load.ts); validation (pure) resolves the references against its hosts.
import { isPlainObject } from "./reader";
import type { Problem } from "./problems";
import type { SshSettings } from "./settings";
import type { LabHostsRef } from "./types";

/** One inventory entry as written: the keys of an `ssh:` block, plus `underlayAddress` for a Proxmox node. */
export interface InventoryHostSettings extends SshSettings {
  /** Proxmox nodes: the VXLAN tunnel endpoint, used when the node sets no underlayAddress of its own. */
  underlayAddress?: string;
}

/** A host inventory: hosts by the name `ssh: {inventory: NAME}` gives them. */
export interface HostInventory {
  /** Where the inventory came from (its file), named in problems. */
  source?: string;
  hosts: Record<string, InventoryHostSettings>;
  /** Set when the inventory is configured but could not be read (already reported once): lookups stay quiet. */
  unavailable?: boolean;
}

/** The stack key naming the inventory file. */
const INVENTORY_KEY = "pfsense-ha:inventory";

/** Parses an inventory file's text (YAML, or JSON, which is YAML too); a problem names the file and the fix. */
export function parseInventory(text: string, file: string, parseYaml: (text: string) => unknown): { inventory?: HostInventory; problem?: Problem } {
  const fix = `write the inventory as \`hosts: {NAME: {host: …, hostKeySha256: "SHA256:…", privateKeyPath: …}}\`, or correct ${INVENTORY_KEY}`;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { problem: { key: INVENTORY_KEY, value: file, message: `is not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}`, fix } };
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.hosts)) {
    return { problem: { key: INVENTORY_KEY, value: file, message: "is not a host inventory (it needs a `hosts:` mapping)", fix } };
  }
  const other = Object.keys(doc).filter((k) => k !== "hosts");
  if (other.length > 0) {
    return { problem: { key: INVENTORY_KEY, value: file, message: `has keys other than \`hosts\`: ${other.join(", ")}`, fix } };
  }
  return { inventory: { source: file, hosts: doc.hosts as Record<string, InventoryHostSettings> } };
}

/**
 * Expands `${NAME}` and `${NAME:-default}` in an inventory path from the environment (e.g. one inventory per lab
 * instance). An unset variable without a default is a problem naming it.
 */
export function expandPathVariables(p: string, env: NodeJS.ProcessEnv): { path?: string; problem?: Problem } {
  let missing: string | undefined;
  const out = p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, dflt: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== "") return v;
    if (dflt !== undefined) return dflt;
    missing ??= name;
    return "";
  });
  if (missing !== undefined) {
    return {
      problem: {
        key: INVENTORY_KEY,
        value: p,
        message: `names \${${missing}}, which is not set in the environment`,
        fix: `set ${missing}, or give it a default in the path: \${${missing}:-VALUE}`,
      },
    };
  }
  if (/[\0\n]/.test(out)) return { problem: { key: INVENTORY_KEY, value: out, message: "is not a file path", fix: "set it to the inventory file's path" } };
  return { path: out };
}

/** The older lab inventory (`pfsense-ha:labInventory`, the lab's inventory.json) as a host inventory. */
export function inventoryFromLab(lab: LabHostsRef, source: string): HostInventory {
  const hosts: Record<string, InventoryHostSettings> = {};
  for (const [name, h] of Object.entries(lab.hosts)) {
    const entry: InventoryHostSettings = { host: h.address, port: h.port, username: h.username, hostKeySha256: h.hostKeySha256, privateKeyPath: lab.clientKeyPath };
    if (h.underlayAddress !== undefined) entry.underlayAddress = h.underlayAddress;
    hosts[name] = entry;
  }
  const out: HostInventory = { source, hosts };
  if (lab.unavailable) out.unavailable = true;
  return out;
}

/** The raw entry of `name` (validated where it is used, as an `ssh:` block), or undefined when there is none. */
export function inventoryEntry(inv: HostInventory, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(inv.hosts, name) ? (inv.hosts[name] as unknown) : undefined;
}
