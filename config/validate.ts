// The one validation of a stack's configuration: raw values in, a typed ClusterConfig or EVERY problem out. Pure.
// Runs before any resource is declared (index.ts) and in `pfsense-ha validate`, so both print the same messages.
import { broadcastOf, inSubnet, intToIpv4, ipv4ToInt, networkOf, parseCidr, subnetOf, subnetsOverlap } from "./ipv4";
import { readOneToOne, readPortForwards } from "./inbound-nat";
import { checkNetworksTogether, inRange, readNetworks } from "./networks";
import type { Problem } from "./problems";
import { Reader, isPlainObject, isSecureValue, kindOf, type RawObject } from "./reader";
import { checkAdvbase, checkAdvskew, checkHostname, checkLinuxIfName, checkIntegerRange, checkIpv4, checkMtu, checkTunnelEndpoint, checkUsername, checkVmId } from "./rules";
import type { HostInventory } from "./inventory";
import { inventoryHostOf, inventoryRefOf, readSsh } from "./ssh-config";
import {
  FIREWALL_ROLES,
  type CarpConfig,
  type ClusterConfig,
  type DhcpConfig,
  type FirewallConfig,
  type FirewallRole,
  type FirewallVm,
  type HasyncConfig,
  type NatConfig,
  type NatSource,
  type NetworkConfig,
  type ProxmoxNodeConfig,
  type SecretPresence,
  type SecretState,
  type VmSizing,
  type VpnBindingConfig,
  type VpnConfig,
} from "./types";

export const NAMESPACE = "pfsense-ha";
const C = `${NAMESPACE}:cluster`;

/** labInventory: the older lab-only inventory (deprecated, still read; see config/load.ts). */
export const STACK_KEYS = ["cluster", "carpPassword", "xmlrpcPassword", "sshPrivateKey", "inventory", "labInventory"] as const;
export const SECRET_KEYS = ["carpPassword", "xmlrpcPassword", "sshPrivateKey"] as const;
const CLUSTER_KEYS = ["name", "pfsenseVersion", "allowUnknownPfsenseVersion", "allowSameNode", "proxmox", "networks", "firewalls", "carp", "hasync", "nat", "dhcp", "vpn", "portForwards", "oneToOne"] as const;
const PROXMOX_KEYS = ["nodes", "datapathType"] as const;
const NODE_KEYS = ["name", "underlayAddress", "underlayMtu", "ssh"] as const;
const FIREWALL_KEYS = ["name", "proxmoxNode", "vm", "ssh", "interfaces"] as const;
const VM_KEYS = ["clone", "adopt", "vmId", "cores", "memoryMb", "diskGb", "datastore"] as const;
const CLONE_KEYS = ["templateId", "full"] as const;
const CARP_KEYS = ["advskewPrimary", "advskewSecondary", "advbase"] as const;
const HASYNC_KEYS = ["syncNetwork", "username", "webguiPort", "options"] as const;
const NAT_KEYS = ["sources", "position"] as const;
/** `networks.<role>.dhcp` */
const NETWORK_DHCP_KEYS = ["rangeFrom", "rangeTo", "failover", "backend"] as const;
/** The older cluster-level form `cluster.dhcp` (one network, failover on by default): still accepted. */
const DHCP_KEYS = ["network", ...NETWORK_DHCP_KEYS] as const;
const VPN_KEYS = ["openvpn", "ipsec"] as const;
const VPN_ENTRY_KEYS = { openvpn: ["vpnid", "network", "vhid"], ipsec: ["ikeid", "network", "vhid"] } as const;

/** pfSense hasync synchronize* flags (2.7/2.8; synchronizekea6 is 2.8+). */
export const HASYNC_OPTIONS = [
  "synchronizeusers",
  "synchronizeauthservers",
  "synchronizecerts",
  "synchronizerules",
  "synchronizeschedules",
  "synchronizealiases",
  "synchronizenat",
  "synchronizeipsec",
  "synchronizeopenvpn",
  "synchronizedhcpd",
  "synchronizedhcrelay",
  "synchronizedhcrelay6",
  "synchronizekea6",
  "synchronizewol",
  "synchronizestaticroutes",
  "synchronizevirtualip",
  "synchronizetrafficshaper",
  "synchronizetrafficshaperlimiter",
  "synchronizednsforwarder",
  "synchronizecaptiveportal",
] as const;

/** pfSense CE releases whose config.xml layout this project was checked against. */
export const KNOWN_PFSENSE_VERSIONS = ["2.7.0", "2.7.1", "2.7.2", "2.8.0", "2.8.1"] as const;

/**
 * pfSense makes a node the DHCP failover primary only when its CARP advskew is below 20 (services.inc:
 * `intval($vipent['advskew']) < 20`; 2.7.2 and the 24.1 tree alike), so the primary's skew is at most 19.
 */
export const DHCP_FAILOVER_MAX_PRIMARY_SKEW = 19;

export interface ValidateOptions {
  /** Stack name, used in the suggested `pulumi config set … --stack NAME` fixes. */
  stackName?: string;
  /** The host inventory `ssh: {inventory: NAME}` refers to (pfsense-ha:inventory; the I/O shell reads the file). */
  inventory?: HostInventory;
  /** Do not report MISSING secrets (e.g. before a CI job generates them); empty ones are still reported. */
  allowMissingSecrets?: boolean;
}

export interface ValidationResult {
  config?: ClusterConfig;
  problems: Problem[];
  /** Accepted but deprecated forms, each with the form to write instead (not problems: the config is valid). */
  warnings?: Problem[];
}

/** State of a secret as found in config: a `secure:` value or a non-empty string counts as present. */
export function secretState(value: unknown): SecretState {
  if (value === undefined || value === null) return "missing";
  if (isSecureValue(value)) return "present";
  if (typeof value === "string") return value === "" ? "empty" : "present";
  return "empty";
}

/**
 * Validates the whole `pfsense-ha:*` namespace of a stack: `values` maps "pfsense-ha:key" (or bare "key") to raw
 * values. Keys of other namespaces (proxmoxve:*) are ignored. Secret values are reduced to presence first.
 */
export function validateStack(values: Record<string, unknown>, opts: ValidateOptions = {}): ValidationResult {
  const own = ownStackValues(values);
  const r = new Reader();
  r.unknownKeys(NAMESPACE, own, STACK_KEYS, ":");
  const secrets: SecretPresence = {
    carpPassword: secretState(own.carpPassword),
    xmlrpcPassword: secretState(own.xmlrpcPassword),
    sshPrivateKey: secretState(own.sshPrivateKey),
  };
  const result = validateCluster(own.cluster, secrets, opts);
  return withWarnings({ config: r.problems.length === 0 ? result.config : undefined, problems: [...r.problems, ...result.problems] }, result.warnings ?? []);
}

/** The `pfsense-ha:*` values of a stack by bare key ("ns:key" of other namespaces dropped). */
function ownStackValues(values: Record<string, unknown>): RawObject {
  const own: RawObject = {};
  for (const [k, v] of Object.entries(values)) {
    const m = /^([^:]+):(.*)$/.exec(k);
    if (m && m[1] !== NAMESPACE) continue;
    own[m ? m[2] : k] = v;
  }
  return own;
}

/** Mistyped `pfsense-ha:*` keys of a stack (with a "did you mean"); the cluster itself is not checked. Pure. */
export function stackKeyProblems(values: Record<string, unknown>): Problem[] {
  const r = new Reader();
  r.unknownKeys(NAMESPACE, ownStackValues(values), STACK_KEYS, ":");
  return r.problems;
}

/** Validates `pfsense-ha:cluster`; collects every problem. `config` is set only when there are none. */
export function validateCluster(raw: unknown, secrets: SecretPresence, opts: ValidateOptions = {}): ValidationResult {
  const r = new Reader();
  const o = r.object(C, raw, CLUSTER_KEYS, true, "a mapping with name, proxmox, networks, firewalls (see README § Configuration)");
  if (!o) return { problems: r.problems };

  const name = r.checked(`${C}.name`, o.name, checkHostname, true, `"edge"`);
  const allowUnknownPfsenseVersion = r.boolean(`${C}.allowUnknownPfsenseVersion`, o.allowUnknownPfsenseVersion, false);
  const pfsenseVersion = r.string(`${C}.pfsenseVersion`, o.pfsenseVersion, false, `"2.7.2"`);
  if (pfsenseVersion && !allowUnknownPfsenseVersion && !(KNOWN_PFSENSE_VERSIONS as readonly string[]).includes(pfsenseVersion)) {
    r.add(
      `${C}.pfsenseVersion`,
      pfsenseVersion,
      `is not a pfSense version this project was checked against (${KNOWN_PFSENSE_VERSIONS.join(", ")})`,
      `use one of those, or set ${C}.allowUnknownPfsenseVersion: true after checking the config.xml layout`,
    );
  }

  const carp = readCarp(r, o.carp);
  const proxmox = readProxmox(r, o.proxmox, opts.inventory, secrets);
  // Unknown when no node could be read (already reported): the VXLAN MTU limit is then not checked.
  const underlayMtu = proxmox.nodes.length ? Math.min(...proxmox.nodes.map((n) => n.underlayMtu)) : undefined;
  const { networks, declared } = readNetworks(r, `${C}.networks`, o.networks, { underlayMtu, advbase: carp?.advbase ?? 1 });
  checkNetworksTogether(r, `${C}.networks`, networks);
  const firewalls = readFirewalls(r, o.firewalls, networks, declared, proxmox.declared, opts.inventory, secrets);
  checkStretched(r, networks, firewalls);
  checkApart(r, firewalls, r.boolean(`${C}.allowSameNode`, o.allowSameNode, false));
  checkUnderlayApart(r, proxmox.nodes, networks);
  const hasync = readHasync(r, o.hasync, declared);
  const nat = readNat(r, o.nat, networks, declared);
  readDhcpServers(r, o.networks, o.dhcp, networks, declared, carp, pfsenseVersion);
  const vpn = readVpn(r, o.vpn, networks, declared);
  const portForwards = readPortForwards(r, `${C}.portForwards`, o.portForwards, networks);
  const oneToOne = readOneToOne(r, `${C}.oneToOne`, o.oneToOne, networks);
  checkSecrets(r, secrets, networks, opts);

  if (r.problems.length || !name || !carp || !firewalls || !hasync || !nat) {
    return withWarnings({ problems: r.problems }, r.warnings);
  }
  const config: ClusterConfig = {
    name,
    allowUnknownPfsenseVersion,
    proxmox: { nodes: proxmox.nodes, datapathType: proxmox.datapathType },
    networks,
    firewalls,
    carp,
    hasync,
    nat,
  };
  if (pfsenseVersion) config.pfsenseVersion = pfsenseVersion;
  if (vpn && (vpn.openvpn.length || vpn.ipsec.length)) config.vpn = vpn;
  if (portForwards?.length) config.portForwards = portForwards;
  if (oneToOne?.length) config.oneToOne = oneToOne;
  return withWarnings({ config, problems: [] }, r.warnings);
}

function withWarnings(result: ValidationResult, warnings: Problem[]): ValidationResult {
  return warnings.length ? { ...result, warnings } : result;
}

function readCarp(r: Reader, raw: unknown): CarpConfig | undefined {
  const k = `${C}.carp`;
  const o = r.object(k, raw, CARP_KEYS, false, `{advskewPrimary: 0, advskewSecondary: 100}`) ?? {};
  const advskewPrimary = r.integer(`${k}.advskewPrimary`, o.advskewPrimary, checkAdvskew, 0);
  const advskewSecondary = r.integer(`${k}.advskewSecondary`, o.advskewSecondary, checkAdvskew, Math.min((advskewPrimary ?? 0) + 100, 254));
  const advbase = r.integer(`${k}.advbase`, o.advbase, checkAdvbase, 1);
  if (advskewPrimary === undefined || advskewSecondary === undefined || advbase === undefined) return undefined;
  // The secondary's skew is what pfSense's XMLRPC sync writes there (rc.filter_synchronize: primary + 100, capped at
  // 254); the stack writes that too (elements/mirror.ts forNode), so any other value would be overwritten by the sync.
  const synced = Math.min(advskewPrimary + 100, 254);
  if (advskewSecondary <= advskewPrimary) {
    r.add(
      `${k}.advskewSecondary`,
      advskewSecondary,
      `must be above the primary's advskew (${advskewPrimary}), otherwise the secondary takes over as CARP master`,
      advskewPrimary >= 254 ? `lower ${k}.advskewPrimary to 253 or less` : `set ${k}.advskewSecondary to ${synced} (the primary's + 100, at most 254), or leave it out`,
    );
  } else if (advskewSecondary !== synced) {
    r.add(
      `${k}.advskewSecondary`,
      advskewSecondary,
      `is not ${synced} (the primary's advskew ${advskewPrimary} + 100, at most 254): pfSense's XMLRPC sync writes that skew on the secondary, so another value would not last`,
      `set ${k}.advskewSecondary to ${synced}, or leave it out (it defaults to that)`,
    );
  }
  return { advskewPrimary, advskewSecondary, advbase };
}

type ReadProxmox = ClusterConfig["proxmox"] & { declared: string[] };

function readProxmox(r: Reader, raw: unknown, inventory: HostInventory | undefined, secrets: SecretPresence): ReadProxmox {
  const k = `${C}.proxmox`;
  const o = r.object(k, raw, PROXMOX_KEYS, true, `{nodes: [{name: "pve1", underlayAddress: "10.0.0.11", ssh: {...}}]}`);
  if (!o) return { nodes: [], datapathType: "system", declared: [] };
  const datapathType = r.oneOf(`${k}.datapathType`, o.datapathType, ["system", "netdev"] as const, "system");
  const nodes: ProxmoxNodeConfig[] = [];
  if (!Array.isArray(o.nodes) || o.nodes.length === 0) {
    r.add(`${k}.nodes`, o.nodes, "must list at least one Proxmox node", `add ${k}.nodes: [{name: "pve1", underlayAddress: "10.0.0.11", ssh: {...}}]`);
    return { nodes, datapathType, declared: [] };
  }
  o.nodes.forEach((item, i) => {
    const nk = `${k}.nodes[${i}]`;
    const n = r.object(nk, item, NODE_KEYS, true, `{name: "pve1", underlayAddress: "10.0.0.11", ssh: {...}}`);
    if (!n) return;
    const name = r.checked(`${nk}.name`, n.name, checkHostname, true, `"pve1"`);
    // Via `ssh: {inventory: NAME}` the inventory may supply the underlay address; an unknown host is reported once.
    const fromInventory = inventoryHostOf(n.ssh, inventory);
    const underlayRequired = inventoryRefOf(n.ssh) === undefined || fromInventory !== undefined;
    const inventoryUnderlay = isPlainObject(fromInventory) ? fromInventory.underlayAddress : undefined;
    const underlayAddress = r.checked(`${nk}.underlayAddress`, n.underlayAddress ?? inventoryUnderlay, checkTunnelEndpoint, underlayRequired, `"10.0.0.11"`);
    const underlayMtu = r.integer(`${nk}.underlayMtu`, n.underlayMtu, checkMtu, 1500);
    const ssh = readSsh(r, `${nk}.ssh`, n.ssh, inventory, secrets);
    if (name && underlayAddress && underlayMtu !== undefined && ssh) nodes.push({ name, underlayAddress, underlayMtu, ssh });
  });
  const dup = (pick: (n: ProxmoxNodeConfig) => string, field: string, what: string): void => {
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (seen.has(pick(n))) r.add(`${k}.nodes[${i}].${field}`, pick(n), `duplicate ${what}: another Proxmox node already uses it`, `give every Proxmox node its own ${what}`);
      seen.add(pick(n));
    });
  };
  dup((n) => n.name, "name", "node name");
  dup((n) => n.underlayAddress, "underlayAddress", "underlay address");
  // The same check as for the firewalls: two nodes on one SSH endpoint would configure one host twice.
  const endpoints = new Map<string, number>();
  nodes.forEach((n, i) => {
    const ep = `${n.ssh.host}:${n.ssh.port ?? 22}`;
    const first = endpoints.get(ep);
    if (first !== undefined) {
      r.add(`${k}.nodes[${i}].ssh.host`, n.ssh.host, `is the SSH endpoint of ${k}.nodes[${first}] (${nodes[first].name}) too: both Proxmox nodes would be configured on one host`, "point each Proxmox node's ssh at its own host");
    } else endpoints.set(ep, i);
  });
  const declared = o.nodes.map((n) => (isPlainObject(n) && typeof n.name === "string" ? n.name : "")).filter((x) => x);
  return { nodes, datapathType, declared };
}

function readFirewalls(
  r: Reader,
  raw: unknown,
  networks: NetworkConfig[],
  declaredNetworks: string[],
  nodeNames: string[],
  inventory: HostInventory | undefined,
  secrets: SecretPresence,
): Record<FirewallRole, FirewallConfig> | undefined {
  const k = `${C}.firewalls`;
  const o = r.object(k, raw, FIREWALL_ROLES, true, `{primary: {...}, secondary: {...}}`);
  if (!o) return undefined;
  const out: Partial<Record<FirewallRole, FirewallConfig>> = {};
  for (const role of FIREWALL_ROLES) {
    const fk = `${k}.${role}`;
    const f = r.object(fk, o[role], FIREWALL_KEYS, true, `{name: "fw1", proxmoxNode: "pve1", vm: "none", ssh: {...}}`);
    if (!f) continue;
    const name = r.checked(`${fk}.name`, f.name, checkHostname, true, `"fw1"`);
    const proxmoxNode = r.string(`${fk}.proxmoxNode`, f.proxmoxNode, true, `"pve1"`);
    if (proxmoxNode && nodeNames.length && !nodeNames.includes(proxmoxNode)) {
      r.add(`${fk}.proxmoxNode`, proxmoxNode, "is not one of the Proxmox nodes", `use one of: ${nodeNames.join(", ")} (${C}.proxmox.nodes[].name)`);
    }
    const vm = readVm(r, `${fk}.vm`, f.vm);
    const ssh = readSsh(r, `${fk}.ssh`, f.ssh, inventory, secrets);
    const interfaces = readInterfaces(r, `${fk}.interfaces`, f.interfaces, networks, declaredNetworks, vm);
    if (name && proxmoxNode && vm && ssh && interfaces) out[role] = { role, name, proxmoxNode, vm, ssh, interfaces };
  }
  const p = out.primary;
  const s = out.secondary;
  if (p && s) {
    if (p.name === s.name) r.add(`${k}.secondary.name`, s.name, "is the primary's name too", "give the two firewalls different names");
    // VM ids are unique in a whole Proxmox cluster, not per node.
    const pId = "vmId" in p.vm ? p.vm.vmId : undefined;
    const sId = "vmId" in s.vm ? s.vm.vmId : undefined;
    if (pId !== undefined && pId === sId) {
      const field = s.vm.mode === "adopt" ? "adopt" : "vmId";
      r.add(`${k}.secondary.vm.${field}`, sId, "is the primary's VM id too: VM ids are unique in a Proxmox cluster, so both firewalls would be one VM", "give each firewall its own VM id");
    }
    if (p.ssh.host === s.ssh.host && (p.ssh.port ?? 22) === (s.ssh.port ?? 22)) {
      r.add(`${k}.secondary.ssh.host`, s.ssh.host, "is the primary's SSH endpoint too: both firewalls would be configured on one host", "point each firewall's ssh at its own host");
    }
    // pfSense HA needs each network on the same device on both nodes: pfsync states are bound to interface names
    // (the 24.1 tree defaults to if-bound states), and XMLRPC sync copies rules by interface.
    for (const n of networks) {
      const pd = p.interfaces[n.role];
      const sd = s.interfaces[n.role];
      if (pd !== undefined && sd !== undefined && pd !== sd) {
        r.add(
          `${k}.secondary.interfaces.${n.role}`,
          sd,
          `differs from the primary's device for the ${n.role} network (primary: "${pd}", secondary: "${sd}"): pfSense HA needs each network on the same interface on both nodes (pfsync states are bound to interface names)`,
          `use the same device on both firewalls (e.g. "${pd}" on both), by NIC order or by naming it in ${k}.primary.interfaces.${n.role} and ${k}.secondary.interfaces.${n.role}`,
        );
      }
    }
  }
  return p && s ? { primary: p, secondary: s } : undefined;
}

function readVm(r: Reader, key: string, raw: unknown): FirewallVm | undefined {
  if (raw === "none") return { mode: "none" };
  const o = r.object(key, raw, VM_KEYS, true, `"none", {clone: {templateId: 9000}, vmId: 201} or {adopt: 201}`);
  if (!o) return undefined;
  const sizing: Partial<VmSizing> = {
    cores: r.integer(`${key}.cores`, o.cores, (kk, v) => checkIntegerRange(kk, v, 1, 128, "cores"), 2),
    memoryMb: r.integer(`${key}.memoryMb`, o.memoryMb, (kk, v) => checkIntegerRange(kk, v, 1024, 1048576, "memory (MB)"), 2048),
    diskGb: r.integer(`${key}.diskGb`, o.diskGb, (kk, v) => checkIntegerRange(kk, v, 8, 65536, "disk size (GB)"), 16),
    datastore: r.string(`${key}.datastore`, o.datastore, false, `"local-lvm"`) ?? "local-lvm",
  };
  const ok = (s: Partial<VmSizing>): s is VmSizing => s.cores !== undefined && s.memoryMb !== undefined && s.diskGb !== undefined;
  if ((o.clone === undefined) === (o.adopt === undefined)) {
    r.add(key, Object.keys(o).join(","), "must say either clone or adopt", `write ${key}: {clone: {templateId: 9000}, vmId: 201}, ${key}: {adopt: 201} or ${key}: none`);
    return undefined;
  }
  if (o.adopt !== undefined) {
    if (o.vmId !== undefined) r.add(`${key}.vmId`, o.vmId, "is redundant with adopt", `remove it: ${key}.adopt is the VM id`);
    const vmId = r.integer(`${key}.adopt`, o.adopt, checkVmId);
    return vmId !== undefined && ok(sizing) ? { mode: "adopt", vmId, sizing } : undefined;
  }
  const c = r.object(`${key}.clone`, o.clone, CLONE_KEYS, true, `{templateId: 9000}`);
  if (!c) return undefined;
  const templateId = r.integer(`${key}.clone.templateId`, c.templateId, checkVmId);
  const full = r.boolean(`${key}.clone.full`, c.full, true);
  if (!full) r.add(`${key}.clone.full`, false, "linked clones tie the firewall to its template's storage", `remove ${key}.clone.full or set it to true`);
  const vmId = r.integer(`${key}.vmId`, o.vmId, checkVmId, -1);
  if (templateId === undefined || !ok(sizing) || vmId === undefined) return undefined;
  const vm: FirewallVm = { mode: "clone", templateId, full, sizing };
  if (vmId !== -1) vm.vmId = vmId;
  if (vmId === templateId) r.add(`${key}.vmId`, vmId, "equals the template's id", "pick a free VM id for the clone");
  return vm;
}

/** pfSense device per network: given (required for `vm: none`), else vtnet0.. in NIC order. */
function readInterfaces(
  r: Reader,
  key: string,
  raw: unknown,
  networks: NetworkConfig[],
  declared: string[],
  vm: FirewallVm | undefined,
): Record<string, string> | undefined {
  const roles = networks.map((n) => n.role);
  if (raw === undefined && vm?.mode !== "none") {
    return Object.fromEntries(networks.map((n, i) => [n.role, `vtnet${i}`]));
  }
  // Every role written under networks is a known key here, valid or not: a network with a bad field is reported
  // once, at that field, not again as an unknown interface key with a misleading "did you mean".
  const o = r.object(key, raw, declared.length ? declared : roles, true, `{${roles.map((x, i) => `${x}: "vtnet${i}"`).join(", ")}}`);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const role of roles) {
    if (o[role] === undefined) {
      r.add(`${key}.${role}`, undefined, `the ${role} network has no interface on this firewall`, `add ${key}.${role}: the pfSense device (e.g. "vtnet${roles.indexOf(role)}") that carries the ${role} network`);
      continue;
    }
    if (!r.addAll(checkLinuxIfName(`${key}.${role}`, o[role]))) continue;
    const dev = o[role] as string;
    if (seen.has(dev)) r.add(`${key}.${role}`, dev, `is also the ${seen.get(dev)} network's device`, "give every network its own device");
    seen.set(dev, role);
    out[role] = dev;
  }
  return Object.keys(out).length === roles.length ? out : undefined;
}

/** Two managed firewall VMs on one Proxmox node fail together: refused unless asked for (a lab, a test pair). */
function checkApart(r: Reader, fws: Record<FirewallRole, FirewallConfig> | undefined, allowSameNode: boolean): void {
  if (!fws || allowSameNode || fws.primary.proxmoxNode !== fws.secondary.proxmoxNode) return;
  if (fws.primary.vm.mode === "none" || fws.secondary.vm.mode === "none") return;
  r.add(
    `${C}.firewalls.secondary.proxmoxNode`,
    fws.secondary.proxmoxNode,
    "is the primary's Proxmox node too: one node failure would take both firewalls down",
    `put the secondary on another node, or set ${C}.allowSameNode: true if that is intended (a lab, a test pair)`,
  );
}

/** With the firewalls on different Proxmox nodes, every network must reach both: a physical uplink or VXLAN. */
function checkStretched(r: Reader, networks: NetworkConfig[], fws: Record<FirewallRole, FirewallConfig> | undefined): void {
  if (!fws || fws.primary.proxmoxNode === fws.secondary.proxmoxNode) return;
  for (const n of networks) {
    if (!n.uplink && !n.vxlan) {
      r.add(
        `${C}.networks.${n.role}.vxlan`,
        undefined,
        `the ${n.role} network does not exist on both firewalls' Proxmox nodes (${fws.primary.proxmoxNode}, ${fws.secondary.proxmoxNode}): it has neither an uplink nor VXLAN, so CARP${n.role === "sync" ? " and pfsync" : ""} cannot reach the peer`,
        `add ${C}.networks.${n.role}.vxlan: {key: <1-16777215>} or an uplink port present on every node`,
      );
    }
  }
}

/** The overlay networks must not overlap the underlay the tunnels run on. */
function checkUnderlayApart(r: Reader, nodes: ProxmoxNodeConfig[], networks: NetworkConfig[]): void {
  for (const [i, node] of nodes.entries()) {
    for (const n of networks) {
      if (n.vxlan && inSubnet(node.underlayAddress, { address: n.subnet.split("/")[0], prefix: n.prefix })) {
        r.add(`${C}.proxmox.nodes[${i}].underlayAddress`, node.underlayAddress, `lies inside the VXLAN-stretched ${n.role} subnet ${n.subnet}: tunnels would be routed into themselves`, "use a separate underlay subnet");
      }
    }
  }
}

function readHasync(r: Reader, raw: unknown, declared: string[]): HasyncConfig | undefined {
  const k = `${C}.hasync`;
  const o = r.object(k, raw, HASYNC_KEYS, false, `{syncNetwork: "sync"}`) ?? {};
  const fallback = declared.includes("sync") ? "sync" : "lan";
  const syncNetwork = r.string(`${k}.syncNetwork`, o.syncNetwork, false, `"sync"`) ?? fallback;
  if (!declared.includes(syncNetwork) && declared.length) {
    r.add(`${k}.syncNetwork`, syncNetwork, "is not a network defined on both firewalls", `use one of: ${declared.join(", ")} (pfsync and XMLRPC need an interface on both nodes)`);
  }
  if (syncNetwork === "wan") {
    r.add(`${k}.syncNetwork`, syncNetwork, "would send unencrypted pfsync state over the WAN", `use a dedicated sync network or the LAN`);
  }
  // That the sync network has an interface on BOTH firewalls is enforced by readInterfaces (every network on each).
  const username = r.checked(`${k}.username`, o.username ?? "admin", checkUsername, true, `"admin"`);
  // xmlrpc_client.inc connects to the primary's own webGUI port; the provider checks the value against it.
  const webguiPort = r.integer(`${k}.webguiPort`, o.webguiPort, (kk, v) => checkIntegerRange(kk, v, 1, 65535, "webGUI port"), 443);
  const options: Record<string, boolean> = Object.fromEntries(HASYNC_OPTIONS.map((x) => [x, true]));
  const oo = r.object(`${k}.options`, o.options, HASYNC_OPTIONS, false, `{synchronizecaptiveportal: false}`);
  if (oo) {
    for (const [name, v] of Object.entries(oo)) {
      if ((HASYNC_OPTIONS as readonly string[]).includes(name)) options[name] = r.boolean(`${k}.options.${name}`, v, true);
    }
  }
  return username && webguiPort !== undefined ? { syncNetwork, username, webguiPort, options } : undefined;
}

function readNat(r: Reader, raw: unknown, networks: NetworkConfig[], declared: string[]): NatConfig | undefined {
  const k = `${C}.nat`;
  const o = r.object(k, raw, NAT_KEYS, false, `{sources: [lan]}`) ?? { sources: ["lan"] };
  const position = r.oneOf(`${k}.position`, o.position, ["top", "bottom"] as const, "top");
  const list = o.sources ?? [];
  if (!Array.isArray(list)) {
    r.add(`${k}.sources`, kindOf(list), `must be a list (got ${kindOf(list)})`, `write ${k}.sources: [lan, "10.9.0.0/16"]`);
    return undefined;
  }
  const wan = networks.find((n) => n.role === "wan");
  const sources: NatSource[] = [];
  list.forEach((s, i) => {
    const sk = `${k}.sources[${i}]`;
    if (s === "any" || s === "0.0.0.0/0") {
      r.add(sk, s, "outbound NAT from any source also matches the cluster's own WAN traffic, which breaks the secondary's outbound connectivity while it is BACKUP (Netgate HA guide)", "list the internal networks instead, e.g. [lan, dmz] or their CIDRs");
      return;
    }
    if (typeof s !== "string") {
      r.add(sk, s, "must be a network role or a CIDR", `use e.g. "lan" or "10.9.0.0/16"`);
      return;
    }
    const earlier = list.slice(0, i).findIndex((x) => x === s);
    if (earlier !== -1) {
      r.add(sk, s, `is listed twice (also ${k}.sources[${earlier}]): each source becomes one NAT rule and one resource, and two resources cannot have one name`, "list each source once");
      return;
    }
    const net = networks.find((n) => n.role === s);
    if (!net && declared.includes(s)) return; // that network's own problems are already reported
    if (!net && declared.length === 0 && !parseCidr(s)) return; // no readable networks (reported once): roles unknown
    if (net) {
      if (s === "wan") r.add(sk, s, "NAT from the WAN network to the WAN VIP matches the firewalls' own WAN addresses", "list only internal networks");
      else sources.push({ source: s, network: s, cidr: net.subnet });
      return;
    }
    const c = parseCidr(s);
    if (!c) {
      r.add(sk, s, "is neither a network role nor an IPv4 CIDR", `use one of ${networks.map((n) => n.role).filter((x) => x !== "wan").join(", ")} or a CIDR like "10.9.0.0/16"`);
      return;
    }
    if (wan && subnetsOverlap(c, { address: wan.subnet.split("/")[0], prefix: wan.prefix })) {
      r.add(sk, s, `overlaps the WAN subnet ${wan.subnet}: the rule would match the firewalls' own WAN traffic`, "narrow it to internal networks only");
      return;
    }
    sources.push({ source: s, cidr: subnetOf(c) });
  });
  // A role and its own CIDR (or two spellings of one CIDR) would make two identical rules.
  sources.forEach((src, i) => {
    const j = sources.findIndex((x) => x.cidr === src.cidr);
    if (j < i) {
      const at = list.indexOf(src.source);
      r.add(`${k}.sources[${at}]`, src.source, `covers the same subnet ${src.cidr} as "${sources[j].source}": the two NAT rules would be identical`, "list each subnet once");
    }
  });
  if (sources.length && wan && wan.vips.length === 0) {
    r.add(`${C}.networks.wan.vip`, undefined, "outbound NAT needs a WAN CARP VIP to translate to (else traffic leaves with a node's own address and breaks on failover)", `add ${C}.networks.wan.vip: {address: <unused WAN address>, vhid: <1-255>}`);
  }
  return { sources, position };
}

/**
 * DHCP servers: `networks.<role>.dhcp` on any internal network (failover off by default), and the older
 * `cluster.dhcp: {network, …}` (failover on by default, as it always was), which sets the same thing on its network.
 * Each result is stored on its network (NetworkConfig.dhcp).
 */
function readDhcpServers(
  r: Reader,
  rawNetworks: unknown,
  rawCluster: unknown,
  networks: NetworkConfig[],
  declared: string[],
  carp: CarpConfig | undefined,
  version: string | undefined,
): void {
  const perNetwork = isPlainObject(rawNetworks) ? rawNetworks : {};
  for (const role of declared) {
    const rawNet = perNetwork[role];
    if (!isPlainObject(rawNet) || rawNet.dhcp === undefined) continue;
    const k = `${C}.networks.${role}.dhcp`;
    const o = r.object(k, rawNet.dhcp, NETWORK_DHCP_KEYS, false, `{rangeFrom: "192.0.2.100", rangeTo: "192.0.2.199", failover: false}`);
    const net = networks.find((n) => n.role === role);
    const dhcp = o && readDhcpOn(r, k, o, k, role, net, carp, version, false);
    if (net && dhcp) net.dhcp = dhcp;
  }
  if (rawCluster === undefined) return;
  const k = `${C}.dhcp`;
  const o = r.object(k, rawCluster, DHCP_KEYS, false, `{network: lan, rangeFrom: "192.0.2.100", rangeTo: "192.0.2.199"}`);
  if (!o) return;
  const network = r.string(`${k}.network`, o.network, false, `"lan"`) ?? "lan";
  const net = networks.find((n) => n.role === network);
  if (!declared.includes(network) && declared.length) r.add(`${k}.network`, network, "is not a defined network", `use one of: ${declared.join(", ")}`);
  const rawNet = perNetwork[network];
  if (isPlainObject(rawNet) && rawNet.dhcp !== undefined) {
    r.add(k, undefined, `sets a DHCP server on ${network}, which ${C}.networks.${network}.dhcp also sets`, `keep one: move rangeFrom/rangeTo/failover into ${C}.networks.${network}.dhcp and remove ${k}`);
    return;
  }
  const dhcp = readDhcpOn(r, k, o, `${k}.network`, network, net, carp, version, true);
  if (net && dhcp) net.dhcp = dhcp;
}

function readDhcpOn(
  r: Reader,
  k: string,
  o: RawObject,
  /** Where a DHCP server on the WAN is reported. */
  networkKey: string,
  network: string,
  net: NetworkConfig | undefined,
  carp: CarpConfig | undefined,
  version: string | undefined,
  failoverDefault: boolean,
): DhcpConfig | undefined {
  if (network === "wan") r.add(networkKey, network, "a DHCP server on the WAN would hand out addresses upstream", "serve DHCP on an internal network such as lan");
  const rangeFrom = r.checked(`${k}.rangeFrom`, o.rangeFrom, checkIpv4, true, `"192.0.2.100"`);
  const rangeTo = r.checked(`${k}.rangeTo`, o.rangeTo, checkIpv4, true, `"192.0.2.199"`);
  const failover = r.boolean(`${k}.failover`, o.failover, failoverDefault);
  const backend = r.oneOf(`${k}.backend`, o.backend, ["isc", "kea"] as const, "isc");
  if (net && rangeFrom && rangeTo) {
    const c = { address: net.subnet.split("/")[0], prefix: net.prefix };
    for (const [field, ip] of [["rangeFrom", rangeFrom], ["rangeTo", rangeTo]] as const) {
      if (!inSubnet(ip, c)) r.add(`${k}.${field}`, ip, `is outside the ${network} subnet ${net.subnet}`, `use an address inside ${net.subnet}`);
    }
    // services_dhcp.php refuses a range that starts on the network address or ends on the broadcast address.
    const inside = (ip: string): boolean => inSubnet(ip, c);
    if (inside(rangeFrom) && rangeFrom === networkOf(c)) {
      r.add(`${k}.rangeFrom`, rangeFrom, `is the network address of ${net.subnet}: pfSense's DHCP server refuses a range that starts on it`, `start the range at a host address, e.g. ${intToIpv4(ipv4ToInt(rangeFrom) + 1)}`);
    }
    if (inside(rangeTo) && rangeTo === broadcastOf(c)) {
      r.add(`${k}.rangeTo`, rangeTo, `is the broadcast address of ${net.subnet}: pfSense's DHCP server refuses a range that ends on it`, `end the range at a host address, e.g. ${intToIpv4(ipv4ToInt(rangeTo) - 1)}`);
    }
    if (ipv4ToInt(rangeFrom) > ipv4ToInt(rangeTo)) {
      r.add(`${k}.rangeTo`, rangeTo, `is below rangeFrom (${rangeFrom})`, "swap rangeFrom and rangeTo");
    } else {
      const taken = [net.addresses.primary, net.addresses.secondary, ...net.vips.map((v) => v.address), ...(net.gateway ? [net.gateway] : [])];
      const clash = taken.find((ip) => inRange(ip, rangeFrom, rangeTo));
      if (clash) r.add(`${k}.rangeFrom`, `${rangeFrom}-${rangeTo}`, `includes ${clash}, an address of the firewalls or a VIP`, "move the range so it excludes the firewall addresses and VIPs");
    }
  }
  if (net && net.vips.length === 0) {
    r.add(
      `${C}.networks.${network}.vip`,
      undefined,
      failover
        ? "DHCP failover needs a CARP VIP on the DHCP network (clients use it as gateway/DNS)"
        : "the DHCP server hands out the network's CARP VIP as gateway and DNS (a node's own address would break clients on failover), and this network has none",
      `add ${C}.networks.${network}.vip, or remove ${k}`,
    );
  }
  if (failover && carp && carp.advskewPrimary > DHCP_FAILOVER_MAX_PRIMARY_SKEW) {
    r.add(
      `${C}.carp.advskewPrimary`,
      carp.advskewPrimary,
      `is 20 or more: pfSense makes a node the DHCP failover primary only when its CARP advskew is below 20 (services.inc), so with ${carp.advskewPrimary} both firewalls would write "secondary;" and failover would never form`,
      `set ${C}.carp.advskewPrimary to ${DHCP_FAILOVER_MAX_PRIMARY_SKEW} or less (default 0), or set ${k}.failover: false`,
    );
  }
  if (backend === "kea") {
    // Never accept and ignore: the stack writes ISC dhcpd (range, failover peer) only, not Kea's own HA (kea/ha).
    r.add(
      `${k}.backend`,
      backend,
      `is not supported yet: the stack configures ISC dhcpd and its failover only, not Kea or Kea's own high availability${version?.startsWith("2.7") ? ` (and Kea HA needs pfSense 2.8; pfsenseVersion is ${version})` : ""}`,
      `use backend: isc (the default; on pfSense 2.8 select ISC under System > Advanced > Networking > DHCP backend), or remove ${k} and configure Kea by hand`,
    );
  }
  return net && rangeFrom && rangeTo ? { rangeFrom, rangeTo, failover, backend } : undefined;
}

/** vpn: existing OpenVPN instances (by vpnid) and IPsec phase 1 entries (by ikeid) bound to a network's CARP VIP. */
function readVpn(r: Reader, raw: unknown, networks: NetworkConfig[], declared: string[]): VpnConfig | undefined {
  const k = `${C}.vpn`;
  const o = r.object(k, raw, VPN_KEYS, false, `{openvpn: [{vpnid: 1, network: wan}], ipsec: [{ikeid: 1, network: wan}]}`);
  if (!o) return undefined;
  const out: VpnConfig = { openvpn: [], ipsec: [] };
  for (const vpn of VPN_KEYS) {
    const idKey = VPN_ENTRY_KEYS[vpn][0];
    const list = o[vpn] ?? [];
    if (!Array.isArray(list)) {
      r.add(`${k}.${vpn}`, kindOf(list), `must be a list (got ${kindOf(list)})`, `write ${k}.${vpn}: [{${idKey}: 1, network: wan}]`);
      continue;
    }
    const seen = new Map<number, number>();
    list.forEach((raw1, i) => {
      const ek = `${k}.${vpn}[${i}]`;
      const e = r.object(ek, raw1, VPN_ENTRY_KEYS[vpn], true, `{${idKey}: 1, network: wan}`);
      if (!e) return;
      const what = vpn === "openvpn" ? "the OpenVPN instance's vpnid (VPN > OpenVPN, server or client)" : "the IPsec phase 1's ikeid (VPN > IPsec)";
      const id = r.integer(`${ek}.${idKey}`, e[idKey], (kk, v) => checkIntegerRange(kk, v, 1, 65535, what));
      const network = r.string(`${ek}.network`, e.network, false, `wan`) ?? "wan";
      const net = networks.find((n) => n.role === network);
      if (!net) {
        if (!declared.includes(network) && declared.length) r.add(`${ek}.network`, network, "is not a defined network", `use one of: ${declared.join(", ")} (normally wan)`);
        return;
      }
      if (net.vips.length === 0) {
        r.add(`${C}.networks.${network}.vip`, undefined, `${ek} binds a VPN to ${network}'s CARP VIP, and ${network} has none`, `add ${C}.networks.${network}.vip: {address: <unused address>, vhid: <1-255>}`);
        return;
      }
      const vhid = r.integer(`${ek}.vhid`, e.vhid, (kk, v) => checkIntegerRange(kk, v, 1, 255, "the VIP's vhid"), net.vips[0].vhid);
      if (vhid !== undefined && !net.vips.some((v) => v.vhid === vhid)) {
        r.add(`${ek}.vhid`, vhid, `is not a VIP of ${network}`, `use one of ${network}'s vhids: ${net.vips.map((v) => v.vhid).join(", ")}, or leave it out for the first`);
        return;
      }
      if (id === undefined || vhid === undefined) return;
      const earlier = seen.get(id);
      seen.set(id, earlier ?? i);
      if (earlier !== undefined) {
        r.add(`${ek}.${idKey}`, id, `is listed twice (also ${k}.${vpn}[${earlier}]): an instance has one interface`, "list each instance once");
        return;
      }
      const b: VpnBindingConfig = { id, network, vhid };
      out[vpn].push(b);
    });
  }
  return out;
}

function checkSecrets(r: Reader, secrets: SecretPresence, networks: NetworkConfig[], opts: ValidateOptions): void {
  const stack = opts.stackName ? ` --stack ${opts.stackName}` : "";
  const need = (name: "carpPassword" | "xmlrpcPassword", why: string): void => {
    const st = secrets[name];
    if (st === "present" || (st === "missing" && opts.allowMissingSecrets)) return;
    r.add(
      `${NAMESPACE}:${name}`,
      undefined,
      `is ${st === "missing" ? "missing" : "empty"}: ${why}`,
      `run \`pulumi config set --secret ${NAMESPACE}:${name} <value>${stack}\``,
    );
  };
  if (networks.some((n) => n.vips.length || typeof n.ipv6 === "object")) need("carpPassword", "every CARP VIP needs a password (pfSense refuses a CARP VIP without one)");
  need("xmlrpcPassword", "the primary's XMLRPC configuration sync logs in to the secondary's webGUI with it");
  if (secrets.sshPrivateKey === "empty") {
    r.add(`${NAMESPACE}:sshPrivateKey`, undefined, "is set but empty", `remove it (\`pulumi config rm ${NAMESPACE}:sshPrivateKey${stack}\`) or set the key content with --secret`);
  }
}
