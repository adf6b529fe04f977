// A seed topology (tests/fixtures/topologies) placed on this lab instance for runs through the test engine
// (tests/support/pulumi-engine.ts): its hosts are the lab's (SSH from the lab inventory), the lab's userspace OVS
// datapath, the lab's webGUI port; the networks, VMs and firewall settings are the seed's. Plus the step counts and
// host commands the end-to-end topology tests check with.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { labExec, labSh, type LabInventory } from "../../lab/inventory";
import { ROOT } from "./ha-lab";
import { reseedFirewalls } from "./pfsense-lab";
import { QM_DIR } from "./proxmox-standin";
import type { RunResult, TestEngine } from "./pulumi-engine";
import { setIn, topologyValues } from "../fixtures/topologies";

export const SECRET_KEYS = ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword"];

/** Seed `seed` on the lab, its node i on lab host pve<i+1>; `edit` changes the values further. */
export function labTopologyValues(seed: string, edit?: (v: Record<string, unknown>) => void): Record<string, unknown> {
  const v = topologyValues(seed);
  v["pfsense-ha:inventory"] = "lab/.state/lab${PFHA_LAB_ID}/hosts.json";
  delete v["pfsense-ha:sshPrivateKey"]; // a seed's stand-in key: the lab's hosts take the inventory's key
  setIn(v, "proxmox.datapathType", "netdev");
  const nodes = (v["pfsense-ha:cluster"] as { proxmox: { nodes: unknown[] } }).proxmox.nodes;
  nodes.forEach((_n, i) => {
    setIn(v, `proxmox.nodes.${i}.ssh`, { inventory: `pve${i + 1}` });
    setIn(v, `proxmox.nodes.${i}.underlayAddress`, undefined);
  });
  setIn(v, "firewalls.primary.ssh", { inventory: "fw1" });
  setIn(v, "firewalls.secondary.ssh", { inventory: "fw2" });
  // devices a seed names (igb0…) are the lab firewalls' vtnet0..2, in the seed's order (WAN, LAN, SYNC)
  const fws = (v["pfsense-ha:cluster"] as { firewalls: Record<string, { interfaces?: Record<string, string> }> }).firewalls;
  for (const role of ["primary", "secondary"]) {
    const given = fws[role].interfaces;
    if (given) setIn(v, `firewalls.${role}.interfaces`, Object.fromEntries(Object.keys(given).map((n, i) => [n, `vtnet${i}`])));
  }
  setIn(v, "hasync", { webguiPort: 80 });
  edit?.(v);
  return JSON.parse(JSON.stringify(v)) as Record<string, unknown>; // undefined values dropped, as YAML has none
}

/** How many steps of each op a run made. */
export function ops(r: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of r.steps) out[s.op] = (out[s.op] ?? 0) + 1;
  return out;
}

/** The run succeeded (shown with its error when it did not). */
export const expectOk = (r: RunResult): void => expect({ ok: r.ok, error: r.error }).toEqual({ ok: true, error: undefined });

/** The steps that changed something, as "op name". */
export const changed = (r: RunResult): string[] => r.steps.filter((s) => s.op !== "same" && s.op !== "read").map((s) => `${s.op} ${s.urn.split("::").pop()}`);

/** A pfSense VM's qm config file as the seeds declare it (2 cores, 2048 MB and a 16 GB disk by default, WAN on
 * vmbr0, then the other networks' bridges with the VXLAN ones at MTU 1450, Proxmox firewall off), written out by
 * hand: `mac` the NICs' MAC without its last byte (the NIC index), `nets` the NICs' bridges (and MTUs) in NIC order. */
export function vmConf(o: { name: string; vmId: number; mac: string; memory?: number; nets: { bridge: string; mtu?: number }[] }): string {
  return `#pfSense HA node managed by pfsense-ha
cores: 2
cpu: host
memory: ${o.memory ?? 2048}
name: ${o.name}
scsi0: local-lvm:vm-${o.vmId}-disk-0,cache=writeback,size=16G
${o.nets.map((n, i) => `net${i}: virtio=${o.mac}:0${i},bridge=${n.bridge},firewall=0${n.mtu ? `,mtu=${n.mtu}` : ""}`).join("\n")}
onboot: 1
ostype: other
status: running
`;
}

/**
 * The lab made ready for a seed: on each Proxmox node of `nodes`, no bridge of `bridges`, none of our stanzas and no
 * qm config file named in `qmFiles` (under QM_DIR; `*.conf` for all), and the WAN uplink eno1 present (a veth: the
 * lab has no physical NIC); the lab's qm stand-in (tests/fixtures/lab/qm, for hand edits with `qm set`) on `qmHost`;
 * both firewalls reseeded. `cleanSeedHosts` undoes what is added here.
 */
export async function prepareSeedHosts(inv: LabInventory, o: { nodes: string[]; bridges: string[]; qmFiles: string[]; qmHost?: string }): Promise<void> {
  for (const h of o.nodes) {
    await labSh(inv, h, `for b in ${o.bridges.join(" ")}; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.d/pfsense-ha ` +
      `${o.qmFiles.map((f) => `${QM_DIR}/${f}`).join(" ")}; ip link show eno1 >/dev/null 2>&1 || ip link add eno1 type veth peer name eno1-peer; ip link set eno1 up; ip link set eno1-peer up`);
  }
  if (o.qmHost) {
    const qm = path.join(inv.hosts[o.qmHost].rootDir, "usr/local/sbin/qm");
    fs.copyFileSync(path.join(ROOT, "tests", "fixtures", "lab", "qm"), qm);
    fs.chmodSync(qm, 0o755);
  }
  await reseedFirewalls(inv);
}

/** What `prepareSeedHosts` added to the nodes removed (eno1, the qm stand-in), and the paths in `extra`. */
export async function cleanSeedHosts(inv: LabInventory, nodes: string[], extra = ""): Promise<void> {
  for (const h of nodes) await labExec(inv, h, `ip link del eno1 2>/dev/null; rm -f /usr/local/sbin/qm${extra ? ` ${extra}` : ""}`);
}

/** Make `name` (a pfSense extension function or a FreeBSD command the lab stands in) fail once on lab firewall
 * `host` (docs/development.md: /tmp/pfha-lab-fail); `clearFailures` removes what did not fire. */
export const injectFailure = (inv: LabInventory, host: string, name: string): Promise<string> =>
  labSh(inv, host, `mkdir -p /tmp/pfha-lab-fail && echo once > /tmp/pfha-lab-fail/${name}`);
export const clearFailures = (inv: LabInventory, host: string): Promise<string> => labSh(inv, host, "rm -rf /tmp/pfha-lab-fail");

/** The description the failure case below gives the LAN VIP. */
export const RENAMED_VIP = "LAN VIP renamed";
/** The seed's values with the LAN VIP renamed (an update of the LAN VIP on both firewalls). */
export const renameLanVip = (v: Record<string, unknown>): void => setIn(v, "networks.lan.vip.description", RENAMED_VIP);

/**
 * A failure injected mid-run: pfSense's `pfSense_interface_deladdress` fails once on fw1 while `values` (with
 * `renameLanVip`) are applied. The run stops at that step with the rollback's message; nothing else changed, nothing
 * deleted; fw1's config.xml is as before (but for the rollback's own revision note). The next up with the same
 * values applies what the failed run did not, then a no-op up changes nothing. `vip`: the LAN VIP's element names on
 * fw1 and fw2; `all`: the seed's resource count.
 */
export async function expectFailureMidRunConverges(
  engine: TestEngine, inv: LabInventory, values: Record<string, unknown>, vip: { element: string; peer: string }, all: number,
): Promise<void> {
  const config = (fw: string) => labSh(inv, fw, "cat /cf/conf/config.xml");
  const withoutRevision = (xml: string) => xml.replace(/<revision>[\s\S]*?<\/revision>/, "<revision/>");
  const before = withoutRevision(await config("fw1"));
  await injectFailure(inv, "fw1", "pfSense_interface_deladdress");
  const failed = await engine.up({ config: values }).finally(() => clearFailures(inv, "fw1"));
  expect(failed.ok).toBe(false);
  expect(failed.error).toMatch(/^update: ssh root@[\d.]+:22: apply failed: pfha-lab: injected failure in pfSense_interface_deladdress\(\) \(the previous config was restored and re-applied\)/);
  // the engine stopped at the failed step (fw2's update may have run beside it): no other change, no delete
  expect(changed(failed).filter((c) => c !== `update ${vip.peer}`)).toEqual([`update ${vip.element}`]);
  expect(ops(failed).same ?? 0).toBeLessThan(all - 1);
  expect(withoutRevision(await config("fw1"))).toBe(before);

  const r = await engine.up({ config: values });
  expectOk(r);
  const pending = [`update ${vip.element}`, ...(changed(failed).includes(`update ${vip.peer}`) ? [] : [`update ${vip.peer}`])];
  expect(changed(r)).toEqual(pending);
  for (const fw of ["fw1", "fw2"]) expect(await config(fw)).toContain(RENAMED_VIP);
  const again = await engine.up({ config: values });
  expectOk(again);
  expect(ops(again)).toEqual({ same: all });
}

/** `lab.sh up` of lab `id` with `nodes` Proxmox nodes (a lab that is up is re-upped to that count). */
export function labUp(id: number, nodes: number): void {
  const r = spawnSync("bash", [path.join(ROOT, "lab", "lab.sh"), "up"], { env: { ...process.env, PFHA_LAB_ID: String(id), PFHA_LAB_NODES: String(nodes) }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`PFHA_LAB_NODES=${nodes} lab.sh up failed: ${r.stderr}`);
}
