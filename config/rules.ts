// Reusable field checks: (key, value) -> Problem[] (empty = valid). Pure.
// Used by validateCluster() and by the providers' check() methods, so both reject the same values the same way.
import { IFNAME_PATTERN } from "../providers/shell/quote";
import { isIpv4, parseCidr } from "./ipv4";
import type { Problem } from "./problems";

export function problem(key: string, value: unknown, message: string, fix: string): Problem {
  return { key, value, message, fix };
}

/** Integers may arrive as numbers or (from `pulumi config set --path`) as digit strings. */
export function asInteger(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

export function checkIntegerRange(key: string, value: unknown, min: number, max: number, what: string): Problem[] {
  const n = asInteger(value);
  if (n === undefined || n < min || n > max) {
    return [problem(key, value, `${what} must be an integer from ${min} to ${max}`, `set ${key} to a whole number between ${min} and ${max}`)];
  }
  return [];
}

/** Linux interface / OVS bridge / port name: 1-15 characters of [A-Za-z0-9_.-]. */
export function checkLinuxIfName(key: string, value: unknown): Problem[] {
  if (typeof value !== "string" || !IFNAME_PATTERN.test(value) || value === "." || value === "..") {
    const why =
      typeof value === "string" && value.length > 15
        ? `is ${value.length} characters long; Linux limits interface names to 15`
        : typeof value === "string" && value.startsWith("-")
          ? "starts with \"-\", which commands read as an option"
          : "is not a valid interface name (allowed: 1-15 characters from [A-Za-z0-9_.-])";
    return [problem(key, value, `interface/bridge name ${why}`, `use a name of at most 15 characters from A-Z a-z 0-9 _ . -, not starting with "-", e.g. "vmbr1"`)];
  }
  return [];
}

/** VXLAN network identifier (24 bits, 0 reserved). */
export function checkVni(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 1, 16777215, "VXLAN key (VNI)");
}

export function checkUdpPort(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 1, 65535, "port");
}

/** CARP virtual host id: 1..255 (it is the last byte of the VIP's MAC 00:00:5e:00:01:VHID). */
export function checkVhid(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 1, 255, "CARP VHID");
}

/** CARP advertisement base interval in seconds: 1..254 (pfSense's limits). */
export function checkAdvbase(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 1, 254, "CARP advbase");
}

/** CARP advertisement skew: 0..254 (255 is reserved for "demoted"). */
export function checkAdvskew(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 0, 254, "CARP advskew");
}

export function checkIpv4(key: string, value: unknown): Problem[] {
  if (!isIpv4(value)) {
    return [problem(key, value, "is not an IPv4 address", `write a dotted-quad IPv4 address without leading zeros, e.g. "192.0.2.10"`)];
  }
  return [];
}

/**
 * A VXLAN tunnel endpoint: a unicast IPv4 address a peer can send to. 0.0.0.0 (unspecified), 127.0.0.0/8
 * (loopback: the peer would send to itself), 255.255.255.255 (broadcast) and 224.0.0.0/4 (multicast: OVS's
 * point-to-point VXLAN ports need a unicast remote_ip) are refused.
 */
export function checkTunnelEndpoint(key: string, value: unknown): Problem[] {
  const ps = checkIpv4(key, value);
  if (ps.length) return ps;
  const ip = value as string;
  const first = Number(ip.split(".")[0]);
  const why =
    ip === "0.0.0.0"
      ? "is the unspecified address 0.0.0.0"
      : first === 127
        ? "is a loopback address (127.0.0.0/8): the peer node would send its tunnel traffic to itself"
        : ip === "255.255.255.255"
          ? "is the limited broadcast address"
          : first >= 224 && first <= 239
            ? "is a multicast address (224.0.0.0/4)"
            : undefined;
  if (why === undefined) return [];
  return [problem(key, value, `${why}; a VXLAN underlay address must be the node's own unicast address that the other nodes can reach`, `use the node's address on the underlay network, e.g. "10.0.0.11"`)];
}

export function checkCidr(key: string, value: unknown): Problem[] {
  if (!parseCidr(value)) {
    return [problem(key, value, "is not an IPv4 CIDR", `write address/prefix with a prefix of 0-32, e.g. "192.0.2.0/24"`)];
  }
  return [];
}

/** Pinned host key fingerprint exactly as `ssh-keygen -lf` prints it. */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function checkFingerprint(key: string, value: unknown): Problem[] {
  if (typeof value !== "string" || !FINGERPRINT_PATTERN.test(value)) {
    return [
      problem(
        key,
        value,
        "is not a SHA256 host key fingerprint",
        `copy it from \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host: "SHA256:" followed by 43 base64 characters, no "=" padding`,
      ),
    ];
  }
  return [];
}

/** pfSense friendly interface names: wan, lan, opt1, opt2, … */
export function checkPfsenseInterface(key: string, value: unknown): Problem[] {
  if (typeof value !== "string" || !/^(wan|lan|opt[1-9][0-9]{0,2})$/.test(value)) {
    return [problem(key, value, `is not a pfSense interface name`, `use "wan", "lan" or "optN" (N = 1, 2, …) as in config.xml <interfaces>`)];
  }
  return [];
}

export function checkMtu(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 576, 9216, "MTU");
}

/** Proxmox VM ids: 100..999999999. */
export function checkVmId(key: string, value: unknown): Problem[] {
  return checkIntegerRange(key, value, 100, 999999999, "Proxmox VM id");
}

/** User names that travel to ssh and pfSense: conservative POSIX-ish set. */
export function checkUsername(key: string, value: unknown): Problem[] {
  if (typeof value !== "string" || !/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(value)) {
    return [problem(key, value, "is not a valid user name", "use 1-32 characters from A-Z a-z 0-9 _ . - starting with a letter or _")];
  }
  return [];
}

/** Host names / DNS labels used for VMs, pfSense hostnames and Proxmox nodes. */
export function checkHostname(key: string, value: unknown): Problem[] {
  if (typeof value !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(value)) {
    return [problem(key, value, "is not a valid host name", "use 1-63 characters from A-Z a-z 0-9 and -, not starting or ending with -")];
  }
  return [];
}

export const PROXMOX_NETWORK_FIX = "in the Proxmox GUI (Node → System → Network) or /etc/network/interfaces, then Apply Configuration";

/**
 * An OVS bridge uplink must be a NIC Proxmox VE can keep as an OVS port: not a VLAN sub-interface or a bond (Proxmox's
 * network API fails on every later edit otherwise). The node-side checks are in providers/ovs/uplink.ts.
 */
export function checkUplinkName(key: string, name: unknown): Problem[] {
  if (typeof name !== "string") return [];
  if (/\./.test(name)) {
    return [
      problem(key, name, "is a VLAN sub-interface; Proxmox cannot keep it as a port of an OVS bridge (every later network edit fails)",
        `name the parent NIC (e.g. "${name.split(".")[0]}"): an OVS bridge carries all VLANs, and the VLAN is set on the VM's network device`),
    ];
  }
  if (/^bond\d+$/.test(name)) {
    return [
      problem(key, name, "is a bond; pfsense-ha does not create bonds and Proxmox cannot keep a Linux bond as a port of an OVS bridge",
        `name one physical NIC (e.g. "eno1"), or leave uplink unset and add an OVS Bond (type OVSBond) to the bridge ${PROXMOX_NETWORK_FIX}`),
    ];
  }
  return [];
}
