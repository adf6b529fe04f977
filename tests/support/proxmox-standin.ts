// The test engine's stand-in of the `proxmoxve` provider plugin (@muhlba91/pulumi-proxmoxve, a Go binary that
// needs the Pulumi CLI's plugin host and Proxmox's API, neither of which exists here). It answers the engine's
// provider calls for `proxmoxve:*` resources only (today: the pfSense VMs, VmLegacy) and keeps each VM as a
// qm-style config file on the lab's Proxmox node that the VM's `nodeName` names: /var/lib/pfha-lab-qm/<vmid>.conf,
// the file the lab's `qm` stand-in (tests/fixtures/lab/qm) reads, with qm config's lines plus "status: ...".
// Check returns the inputs; Diff compares the inputs with the old state (node, VM id, clone source = replace);
// Create/Update write the file (Create refuses a VM id that is taken, as Proxmox does); Read parses it back into the
// state (a hand edit is drift); Delete removes it. The id is the VM id, stable across updates. A Read by the import
// id "<nodeName>/<vmId>" (the engine's import step: a VM made by hand, adopted) reads the VM from that node's file
// and returns its inputs too, as the provider's importer does; an import id with no such VM reads as gone.
import { labExec, type LabInventory } from "../../lab/inventory";

type Props = Record<string, unknown>;

export const QM_DIR = "/var/lib/pfha-lab-qm";

/** The provider calls the test engine makes, on plain values (no unknowns outside a preview, no secrets). */
export interface PluginStandIn {
  check(news: Props): Props;
  diff(olds: Props, news: Props): { changes: boolean; replaces: string[] };
  create(type: string, inputs: Props): Promise<{ id: string; outputs: Props }>;
  /** `inputs` only for a read by an import id (the engine's import step). */
  read(type: string, id: string, props: Props): Promise<{ id: string; outputs: Props; inputs?: Props }>;
  update(type: string, id: string, olds: Props, news: Props): Promise<Props>;
  delete(type: string, id: string, props: Props): Promise<void>;
}

const VM = "proxmoxve:index/vmLegacy:VmLegacy";
/** Inputs whose change replaces the VM (another node, another id, another clone source). */
const REPLACE_KEYS = ["nodeName", "vmId", "clone"];

const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Props)[k]])) : x);

interface Disk {
  interface?: string;
  datastoreId?: string;
  cache?: string;
  size?: number;
}

interface Nic {
  bridge?: string;
  model?: string;
  firewall?: boolean;
  mtu?: number;
  macAddress?: string;
}

/** A stable MAC per VM and NIC in Proxmox's own prefix (BC:24:11). */
const macOf = (vmId: number, i: number) =>
  ["BC", "24", "11", ((vmId >> 8) & 0xff).toString(16), (vmId & 0xff).toString(16), i.toString(16)].map((x) => x.padStart(2, "0").toUpperCase()).join(":");

/** qm config's lines for these inputs (and the run status). */
export function qmConfigOf(p: Props): string {
  const vmId = Number(p.vmId);
  const cpu = (p.cpu ?? {}) as Props;
  const memory = (p.memory ?? {}) as Props;
  const lines: string[] = [];
  if (typeof p.description === "string") lines.push(`#${p.description}`);
  if (p.cores !== undefined || cpu.cores !== undefined) lines.push(`cores: ${Number(cpu.cores ?? 1)}`);
  if (cpu.type !== undefined) lines.push(`cpu: ${String(cpu.type)}`);
  if (memory.dedicated !== undefined) lines.push(`memory: ${Number(memory.dedicated)}`);
  lines.push(`name: ${String(p.name ?? `VM${vmId}`)}`);
  for (const d of (p.disks ?? []) as Disk[]) {
    const opts = [`${d.datastoreId ?? "local-lvm"}:vm-${vmId}-disk-0`];
    if (d.cache !== undefined) opts.push(`cache=${d.cache}`);
    if (d.size !== undefined) opts.push(`size=${d.size}G`);
    lines.push(`${d.interface ?? "scsi0"}: ${opts.join(",")}`);
  }
  ((p.networkDevices ?? []) as Nic[]).forEach((n, i) => {
    const opts = [`${n.model ?? "virtio"}=${n.macAddress ?? macOf(vmId, i)}`, `bridge=${String(n.bridge)}`, `firewall=${n.firewall ? 1 : 0}`];
    if (n.mtu !== undefined) opts.push(`mtu=${n.mtu}`);
    lines.push(`net${i}: ${opts.join(",")}`);
  });
  if (p.onBoot !== undefined) lines.push(`onboot: ${p.onBoot ? 1 : 0}`);
  const os = (p.operatingSystem ?? {}) as Props;
  if (os.type !== undefined) lines.push(`ostype: ${String(os.type)}`);
  lines.push(`status: ${p.started === false ? "stopped" : "running"}`);
  return `${lines.join("\n")}\n`;
}

/** The state's view of a qm config file: the props given, with what the file says over them. */
export function propsOfQmConfig(text: string, props: Props): Props {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([a-z0-9]+): (.*)$/.exec(line);
    if (m) kv.set(m[1], m[2]);
  }
  const out: Props = { ...props };
  if (kv.has("name")) out.name = kv.get("name");
  const description = text.split("\n").filter((l) => l.startsWith("#")).map((l) => l.slice(1));
  if (description.length) out.description = description.join("\n");
  const disks: Disk[] = [];
  for (const [k, v] of kv) {
    if (!/^(scsi|virtio|sata|ide)\d+$/.test(k)) continue;
    const [volume, ...rest] = v.split(",");
    const opt = Object.fromEntries(rest.map((f) => f.split("=") as [string, string]));
    const disk: Disk = { interface: k, datastoreId: volume.split(":")[0] };
    if (opt.cache !== undefined) disk.cache = opt.cache;
    if (opt.size !== undefined) disk.size = Number(opt.size.replace(/G$/, ""));
    disks.push(disk);
  }
  if (disks.length) out.disks = disks;
  if (kv.has("cores") || kv.has("cpu")) {
    const cpu = { ...((props.cpu ?? {}) as Props) };
    if (kv.has("cores")) cpu.cores = Number(kv.get("cores"));
    if (kv.has("cpu")) cpu.type = kv.get("cpu");
    out.cpu = cpu;
  }
  if (kv.has("memory")) out.memory = { ...((props.memory ?? {}) as Props), dedicated: Number(kv.get("memory")) };
  const old = (props.networkDevices ?? []) as Nic[];
  const nics: Nic[] = [];
  for (let i = 0; kv.has(`net${i}`); i++) {
    const fields = kv.get(`net${i}`)!.split(",");
    const [model] = fields[0].split("=");
    const opt = Object.fromEntries(fields.slice(1).map((f) => f.split("=") as [string, string]));
    const nic: Nic = { ...old[i], model, bridge: opt.bridge, firewall: opt.firewall === "1" };
    if (opt.mtu !== undefined) nic.mtu = Number(opt.mtu);
    else delete nic.mtu;
    nics.push(nic);
  }
  out.networkDevices = nics;
  if (kv.has("onboot")) out.onBoot = kv.get("onboot") === "1";
  if (kv.has("ostype")) out.operatingSystem = { ...((props.operatingSystem ?? {}) as Props), type: kv.get("ostype") };
  out.started = kv.get("status") === "running";
  return out;
}

/** The stand-in, on the lab `inv` (the VM's nodeName is the lab host's name). */
export function proxmoxStandIn(inv: LabInventory): PluginStandIn {
  const only = (type: string) => {
    if (type !== VM) throw new Error(`the proxmoxve stand-in has no resource type ${type} (only ${VM})`);
  };
  const fileOf = (p: Props) => {
    const node = String(p.nodeName);
    const vmId = Number(p.vmId);
    if (!inv.hosts[node] || inv.hosts[node].role !== "proxmox") throw new Error(`nodeName: ${node} is not a Proxmox node of lab ${inv.id}`);
    if (!Number.isInteger(vmId) || vmId < 100) throw new Error(`vmId: ${String(p.vmId)} is not a VM id (an integer from 100)`);
    return { node, path: `${QM_DIR}/${vmId}.conf` };
  };
  const sh = async (node: string, script: string, stdin?: string) => {
    const r = await labExec(inv, node, script, { stdin });
    if (r.code !== 0) throw new Error(`proxmoxve stand-in on ${node}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  };
  const write = (p: Props) => {
    const f = fileOf(p);
    return sh(f.node, `mkdir -p ${QM_DIR} && cat > ${f.path}.tmp && mv ${f.path}.tmp ${f.path}`, qmConfigOf(p));
  };
  return {
    check: (news) => news,
    diff: (olds, news) => {
      const changed = Object.keys(news).filter((k) => canon(news[k]) !== canon(olds[k]));
      return { changes: changed.length > 0, replaces: changed.filter((k) => REPLACE_KEYS.includes(k)) };
    },
    async create(type, inputs) {
      only(type);
      const f = fileOf(inputs);
      await sh(f.node, `if [ -e ${f.path} ]; then echo "unable to create VM ${Number(inputs.vmId)}: config file already exists" >&2; exit 1; fi`);
      await write(inputs);
      return { id: String(inputs.vmId), outputs: { ...inputs } };
    },
    async read(type, id, props) {
      only(type);
      const imported = /^([A-Za-z0-9-]+)\/(\d+)$/.exec(id);
      const known = imported ? { nodeName: imported[1], vmId: Number(imported[2]) } : { ...props, vmId: Number(id) };
      const f = fileOf(known);
      const r = await labExec(inv, f.node, `cat ${f.path} 2>/dev/null`);
      if (r.code !== 0) return { id: "", outputs: {} };
      const outputs = propsOfQmConfig(r.stdout, known);
      return imported ? { id: String(known.vmId), outputs, inputs: outputs } : { id, outputs };
    },
    async update(type, id, _olds, news) {
      only(type);
      await write({ ...news, vmId: Number(id) });
      return { ...news };
    },
    async delete(type, id, props) {
      only(type);
      const f = fileOf({ ...props, vmId: Number(id) });
      await sh(f.node, `rm -f ${f.path}`);
    },
  };
}
