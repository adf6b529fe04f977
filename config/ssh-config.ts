// Reads one `ssh:` block into an SshEndpoint: explicit fields, or `{inventory: NAME}` resolved against the host
// inventory (config/inventory.ts), whose entries are checked as `ssh:` blocks themselves.
import type { SshEndpoint } from "../providers/ssh/types";
import { isIpv4 } from "./ipv4";
import { Reader, REDACTED, isPlainObject } from "./reader";
import { checkFingerprint, checkHostname, checkUdpPort, checkUsername } from "./rules";
import { inventoryEntry, type HostInventory } from "./inventory";
import type { SecretPresence } from "./types";

export const SSH_KEYS = [
  "host",
  "port",
  "username",
  "hostKeySha256",
  "privateKeyPath",
  "useAgent",
  "password",
  "allowPasswordAuth",
  "insecureAcceptAnyHostKey",
] as const;

const EXAMPLE = `{host: "192.0.2.11", hostKeySha256: "SHA256:…", privateKeyPath: "~/.ssh/id_ed25519"}`;

function checkHost(key: string, value: unknown): ReturnType<typeof checkHostname> {
  if (isIpv4(value)) return [];
  if (typeof value === "string" && value.split(".").every((label) => checkHostname(key, label).length === 0)) return [];
  return [{ key, value, message: "is not an IPv4 address or DNS name", fix: `set ${key} to the host's address, e.g. "192.0.2.11"` }];
}

/** An `ssh:` block: the settings themselves, or `{inventory: NAME}` (a host of the host inventory). */
export function readSsh(
  r: Reader,
  key: string,
  raw: unknown,
  inventory: HostInventory | undefined,
  secrets: SecretPresence,
): SshEndpoint | undefined {
  const ref = inventoryRefOf(raw);
  if (ref) return readInventorySsh(r, key, raw as Record<string, unknown>, ref.field, inventory, secrets);
  return readSshBlock(r, key, raw, secrets);
}

function readSshBlock(r: Reader, key: string, raw: unknown, secrets: SecretPresence): SshEndpoint | undefined {
  const o = r.object(key, raw, SSH_KEYS, true, EXAMPLE);
  if (!o) return undefined;
  const host = r.checked(`${key}.host`, o.host, checkHost, true, `"192.0.2.11"`);
  const port = r.integer(`${key}.port`, o.port, checkUdpPort, 22);
  const username = r.checked(`${key}.username`, o.username ?? "root", checkUsername, true, `"root"`);
  const insecure = r.boolean(`${key}.insecureAcceptAnyHostKey`, o.insecureAcceptAnyHostKey, false);
  let hostKeySha256: string | undefined;
  if (o.hostKeySha256 === undefined && !insecure) {
    r.add(
      `${key}.hostKeySha256`,
      undefined,
      "is required: host keys are pinned so a man in the middle cannot capture credentials",
      `set it to the output of \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host (e.g. "SHA256:…"); only in a throw-away lab set insecureAcceptAnyHostKey: true`,
    );
  } else if (o.hostKeySha256 !== undefined) {
    if (r.addAll(checkFingerprint(`${key}.hostKeySha256`, o.hostKeySha256))) hostKeySha256 = o.hostKeySha256 as string;
  }
  const privateKeyPath = r.string(`${key}.privateKeyPath`, o.privateKeyPath, false, `"~/.ssh/id_ed25519"`);
  const useAgent = r.boolean(`${key}.useAgent`, o.useAgent, false);
  const allowPasswordAuth = r.boolean(`${key}.allowPasswordAuth`, o.allowPasswordAuth, false);
  let password: string | undefined;
  if (o.password !== undefined) {
    if (!allowPasswordAuth) {
      r.add(
        `${key}.password`,
        REDACTED,
        "is set but password authentication is not enabled",
        `prefer key authentication (privateKeyPath, useAgent or the pfsense-ha:sshPrivateKey secret); to use the password anyway, also set ${key}.allowPasswordAuth: true`,
      );
    } else if (typeof o.password === "string" && o.password !== "") {
      password = o.password;
    } else {
      r.add(`${key}.password`, REDACTED, "must be a non-empty string", `set it with \`pulumi config set --secret --path 'pfsense-ha:${key.replace(/^pfsense-ha:/, "")}.password' <value>\``);
    }
  }
  if (!privateKeyPath && !useAgent && password === undefined && o.password === undefined && secrets.sshPrivateKey !== "present") {
    r.add(
      key,
      host,
      "has no authentication method",
      `set ${key}.privateKeyPath, or ${key}.useAgent: true, or the secret key for all hosts with \`pulumi config set --secret pfsense-ha:sshPrivateKey "$(cat ~/.ssh/id_ed25519)"\``,
    );
  }
  if (!host || !username) return undefined;
  const ep: SshEndpoint = { host, port, username };
  if (hostKeySha256) ep.hostKeySha256 = hostKeySha256;
  if (insecure) ep.insecureAcceptAnyHostKey = true;
  if (privateKeyPath) ep.privateKeyPath = privateKeyPath;
  if (useAgent) ep.useAgent = true;
  if (password !== undefined) ep.password = password;
  return ep;
}

/** The inventory host an `ssh:` block refers to (`{inventory: NAME}`, or the deprecated `{lab: NAME}`), if any. */
export function inventoryRefOf(raw: unknown): { field: "inventory" | "lab"; name: unknown } | undefined {
  if (!isPlainObject(raw)) return undefined;
  if ("inventory" in raw) return { field: "inventory", name: raw.inventory };
  if ("lab" in raw) return { field: "lab", name: raw.lab };
  return undefined;
}

/** The inventory entry an `ssh:` block refers to, when it refers to one that exists. */
export function inventoryHostOf(raw: unknown, inventory: HostInventory | undefined): unknown {
  const ref = inventoryRefOf(raw);
  return ref && inventory && typeof ref.name === "string" ? inventoryEntry(inventory, ref.name) : undefined;
}

function readInventorySsh(
  r: Reader,
  key: string,
  raw: Record<string, unknown>,
  field: "inventory" | "lab",
  inventory: HostInventory | undefined,
  secrets: SecretPresence,
): SshEndpoint | undefined {
  r.unknownKeys(key, raw, [field]);
  const name = r.string(`${key}.${field}`, raw[field], true, `"pve1"`);
  if (!name) return undefined;
  if (field === "lab") {
    r.warn(`${key}.lab`, name, "is deprecated: hosts come from a host inventory now", `write ${key}: {inventory: ${name}} and set pfsense-ha:inventory to the inventory file (the lab writes lab/.state/labN/hosts.json)`);
  }
  if (!inventory) {
    r.add(
      `${key}.${field}`,
      name,
      "refers to an inventory host but no host inventory is configured",
      "set pfsense-ha:inventory to a YAML or JSON file of `hosts: {NAME: {host, port, username, hostKeySha256, privateKeyPath}}` " +
        "(the lab writes lab/.state/labN/hosts.json when it comes up), or write the ssh settings here",
    );
    return undefined;
  }
  if (inventory.unavailable) return undefined;
  const entry = inventoryEntry(inventory, name);
  const where = inventory.source ?? "the host inventory";
  if (entry === undefined) {
    r.add(`${key}.${field}`, name, `is not a host in ${where}`, `use one of: ${Object.keys(inventory.hosts).join(", ") || "(none)"}, or add ${name} to ${where}`);
    return undefined;
  }
  // The entry is an ssh block plus the Proxmox node's underlay address (read by the caller).
  const ssh = isPlainObject(entry) ? Object.fromEntries(Object.entries(entry).filter(([k]) => k !== "underlayAddress")) : entry;
  return readSshBlock(r, `${where} hosts.${name}`, ssh, secrets);
}
