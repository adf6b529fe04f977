// Reads one `ssh:` block into an SshEndpoint: explicit fields, or `{lab: NAME}` resolved against the lab inventory.
import type { SshEndpoint } from "../providers/ssh/types";
import { isIpv4 } from "./ipv4";
import { Reader, REDACTED, isPlainObject } from "./reader";
import { checkFingerprint, checkHostname, checkUdpPort, checkUsername } from "./rules";
import type { LabHostsRef, SecretPresence } from "./types";

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

export function readSsh(
  r: Reader,
  key: string,
  raw: unknown,
  lab: LabHostsRef | undefined,
  secrets: SecretPresence,
): SshEndpoint | undefined {
  if (isPlainObject(raw) && "lab" in raw) return readLabSsh(r, key, raw, lab);
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

function readLabSsh(r: Reader, key: string, raw: Record<string, unknown>, lab: LabHostsRef | undefined): SshEndpoint | undefined {
  r.unknownKeys(key, raw, ["lab"]);
  const name = r.string(`${key}.lab`, raw.lab, true, `"pve1"`);
  if (!name) return undefined;
  if (!lab) {
    r.add(
      `${key}.lab`,
      name,
      "refers to a lab host but no lab inventory is configured",
      "set pfsense-ha:labInventory to the lab's inventory.json (e.g. lab/.state/lab0/inventory.json) and bring the lab up with `npm run lab -- up`",
    );
    return undefined;
  }
  if (lab.unavailable) return undefined;
  const h = lab.hosts[name];
  if (!h) {
    const more = /^pve[0-9]+$/.test(name) ? ` (a lab with more Proxmox nodes: \`PFHA_LAB_NODES=${name.slice(3)} npm run lab -- up\`)` : "";
    r.add(`${key}.lab`, name, "is not a host in the lab inventory", `use one of: ${Object.keys(lab.hosts).join(", ")}${more}`);
    return undefined;
  }
  return { host: h.address, port: h.port, username: h.username, hostKeySha256: h.hostKeySha256, privateKeyPath: lab.clientKeyPath };
}

/** The lab host name an `ssh:` block refers to, if any. */
export function labHostName(raw: unknown): string | undefined {
  return isPlainObject(raw) && typeof raw.lab === "string" ? raw.lab : undefined;
}
