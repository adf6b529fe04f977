// Our OVS bridges next to Proxmox's own network management, on the lab node pve1: Proxmox VE's reader/writer
// (pve-common 8 and 9, unmodified, driven like the GUI by tests/support/pve/pve-net.pl) reads every file we write,
// a GUI edit staged in interfaces.new and applied with `ifreload -a` keeps our bridges, and what a human adds
// through the GUI on our bridges survives our updates and refreshes.
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory, labSh } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { OvsBridgeProvider } from "../../providers/ovs/bridgeProvider";
import { VxlanNodeProvider } from "../../providers/ovs/tunnelProvider";
import { tunnelPortName } from "../../providers/ovs/naming";
import type { VxlanNodeInputs, VxlanNodeState } from "../../providers/ovs/types";
import { forgetOvsState } from "../../providers/ovs/host-batch";
import { parseInterfacesFile, optionOf } from "../../providers/ovs/interfaces-file";
import type { OvsBridgeInputs, OvsBridgeState } from "../../providers/ovs/types";
import { waitFor } from "../support/async";
import { installPveTools, pve, pveOk, pveRead, PVE_VERSIONS, type PveVersion } from "../support/pve";

jest.setTimeout(240000);
const inv: LabInventory = loadInventory();
const H = "pve1";
const provider = new OvsBridgeProvider();
type Outs = OvsBridgeState & { created: boolean };

const sh = (script: string): Promise<string> => labSh(inv, H, script);
const mainFile = () => readFileSync(hostPath(inv, H, "/etc/network/interfaces"), "utf8");
const stanzaOf = (text: string, name: string) => parseInterfacesFile(text).stanzas.find((s) => s.name === name);
const inputs = (name: string, extra: Partial<OvsBridgeInputs> = {}): OvsBridgeInputs => ({
  endpoint: sshEndpointOf(inv.hosts[H], inv),
  node: H,
  name,
  datapathType: "netdev",
  mtu: 1400,
  ...extra,
});
/** Processes of this lab node only (its network namespace) whose command line matches `re`. */
function pidsInNode(re: RegExp): number[] {
  const r = spawnSync("ip", ["netns", "pids", inv.hosts[H].netns], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map(Number).filter((pid) => {
    try {
      return re.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
    } catch {
      return false;
    }
  });
}
const portsOf = async (br: string) => (await sh(`ovs-vsctl list-ports ${br}`)).split("\n").filter(Boolean).sort();

let pristine = "";
async function cleanup(): Promise<void> {
  await sh(
    "for b in vmbrh8 vmbrh9 vmbrn8 vmbrn9 vmbru0 vmbrr0; do ovs-vsctl --if-exists del-br $b; done; " +
      "for l in enu8 enu9 upl0 enm0 brl0 ena0 enx0 enb8a enb8b enb9a enb9b; do ip link del $l 2>/dev/null; done; rm -f /etc/network/interfaces.new /root/old-layout /etc/network/interfaces.d/pfsense-ha",
  );
  await labExec(inv, H, "cat > /etc/network/interfaces", { stdin: pristine });
}

beforeAll(async () => {
  pristine = mainFile();
  installPveTools(inv, H);
  await cleanup();
});
afterAll(async () => {
  await cleanup();
  await closeAllHosts();
});

describe.each(PVE_VERSIONS.map((v) => [v] as [PveVersion]))("Proxmox VE %i's parser and GUI on our bridges", (v) => {
  const withUplink = `vmbrh${v}`;
  const noUplink = `vmbrn${v}`;
  const uplink = `enu${v}`; // a veth with a NIC-style name: Proxmox types it like a physical NIC
  const port = `mgmt${v}`; // the human's OVSIntPort on our bridge with uplink
  const port2 = `mgmtn${v}`; // and on the one without
  const outs: Record<string, Outs> = {};

  test("both bridges are written, Proxmox reads the file and lists them with their ports", async () => {
    forgetOvsState();
    await sh(`ip link add ${uplink} type veth peer name ${uplink}p && ip link set ${uplink} up && ip link set ${uplink}p up`);
    outs[withUplink] = (await provider.create(inputs(withUplink, { uplink }))).outs;
    outs[noUplink] = (await provider.create(inputs(noUplink))).outs;
    for (const pv of PVE_VERSIONS) {
      const ifaces = await pveRead(inv, H, pv, "/etc/network/interfaces");
      expect(ifaces[withUplink]).toMatchObject({ type: "OVSBridge", ovs_ports: uplink, mtu: "1400" });
      expect(ifaces[uplink]).toMatchObject({ type: "OVSPort", ovs_bridge: withUplink });
      expect(ifaces[noUplink]).toMatchObject({ type: "OVSBridge", mtu: "1400" });
    }
  });

  test("an OVSIntPort added in the GUI and applied is kept by refresh (no drift) and by an MTU update", async () => {
    await pveOk(inv, H, v, "create", port, JSON.stringify({ type: "OVSIntPort", ovs_bridge: withUplink, cidr: `10.77.${v}.1/24`, autostart: 1 }));
    await pveOk(inv, H, v, "create", port2, JSON.stringify({ type: "OVSIntPort", ovs_bridge: noUplink, cidr: `10.78.${v}.1/24`, autostart: 1 }));
    expect((await pveRead(inv, H, v))[withUplink].ovs_ports).toBe(`${uplink} ${port}`);
    const apply = await pve(inv, H, v, "apply");
    expect(apply.code).toBe(0);
    expect(await portsOf(withUplink)).toEqual([port, uplink].sort());
    expect(await portsOf(noUplink)).toEqual([port2]);
    forgetOvsState();
    // Refresh: read, then diff with the new state. The human's port is not drift.
    for (const br of [withUplink, noUplink]) {
      const read = (await provider.read(`${H}/${br}`, outs[br])).props as Outs;
      expect(read).toMatchObject({ present: true, persisted: true });
      const extra = br === withUplink ? { uplink } : {};
      expect((await provider.diff(`${H}/${br}`, read, inputs(br, extra))).changes).toBe(false);
      outs[br] = read;
    }
    // An update (MTU) keeps the member, its stanza (type, address) and Proxmox still reads both.
    const before = mainFile();
    outs[withUplink] = (await provider.update(`${H}/${withUplink}`, outs[withUplink], inputs(withUplink, { uplink, mtu: 1300 }))).outs;
    outs[noUplink] = (await provider.update(`${H}/${noUplink}`, outs[noUplink], inputs(noUplink, { mtu: 1300 }))).outs;
    const after = mainFile();
    expect(optionOf(stanzaOf(after, withUplink)!, "ovs_ports")).toBe(`${uplink} ${port}`);
    expect(optionOf(stanzaOf(after, noUplink)!, "ovs_ports")).toBe(port2);
    const lines = (t: string, n: string) => {
      const s = stanzaOf(t, n)!;
      return parseInterfacesFile(t).lines.slice(s.start, s.end).join("");
    };
    expect(lines(after, port)).toBe(lines(before, port));
    expect(lines(after, port2)).toBe(lines(before, port2));
    expect(await portsOf(withUplink)).toEqual([port, uplink].sort());
    for (const pv of PVE_VERSIONS) {
      const ifaces = await pveRead(inv, H, pv, "/etc/network/interfaces");
      expect(ifaces[port]).toMatchObject({ type: "OVSIntPort", ovs_bridge: withUplink, address: `10.77.${v}.1` });
      expect(ifaces[port2]).toMatchObject({ type: "OVSIntPort", ovs_bridge: noUplink, address: `10.78.${v}.1` });
      expect(ifaces[withUplink]).toMatchObject({ ovs_ports: `${uplink} ${port}`, mtu: "1300" });
    }
  });

  test("the next GUI edit and Apply keep the human's port with its address, and our bridges", async () => {
    await pveOk(inv, H, v, "update", port, JSON.stringify({ comments: "added by hand" }));
    expect((await pve(inv, H, v, "apply")).code).toBe(0);
    const ifaces = await pveRead(inv, H, v, "/etc/network/interfaces");
    expect(ifaces[port]).toMatchObject({ type: "OVSIntPort", address: `10.77.${v}.1` });
    expect(await portsOf(withUplink)).toEqual([port, uplink].sort());
    expect(await sh(`ip -4 -o addr show ${port}`)).toContain(`10.77.${v}.1/24`);
    forgetOvsState();
    const read = (await provider.read(`${H}/${withUplink}`, outs[withUplink])).props as Outs;
    expect(read).toMatchObject({ present: true, persisted: true });
  });

  test("an OVS Bond made in the GUI on our bridge without uplink (the supported way to bond) is kept like any member", async () => {
    const bond = `bond${v}`;
    // The NICs, listed in the file the way Proxmox's installer lists every NIC (`iface enoX inet manual`).
    await sh(`for n in a b; do ip link add enb${v}$n type veth peer name enb${v}$n-p && ip link set enb${v}$n up && printf '\\niface enb${v}%s inet manual\\n' $n >> /etc/network/interfaces; done`);
    await pveOk(inv, H, v, "create", bond, JSON.stringify({ type: "OVSBond", ovs_bridge: noUplink, ovs_bonds: `enb${v}a enb${v}b`, bond_mode: "active-backup", autostart: 1 }));
    // Lab only: with the userspace datapath an OVS bond has no kernel device, and ifupdown2 ends its run with this one
    // error after adding the bond (a node with the kernel datapath has the device).
    const applied = await pve(inv, H, v, "apply");
    if (applied.code !== 0) expect(applied.stderr.trim()).toBe(`error: ifname ${bond} not present in cache`);
    expect(await portsOf(noUplink)).toEqual([bond, port2].sort());
    forgetOvsState();
    const read = (await provider.read(`${H}/${noUplink}`, outs[noUplink])).props as Outs;
    expect((await provider.diff(`${H}/${noUplink}`, read, inputs(noUplink, { mtu: 1300 }))).changes).toBe(false);
    outs[noUplink] = (await provider.update(`${H}/${noUplink}`, read, inputs(noUplink, { mtu: 1280 }))).outs;
    for (const pv of PVE_VERSIONS) {
      const ifaces = await pveRead(inv, H, pv, "/etc/network/interfaces");
      expect(ifaces[bond]).toMatchObject({ type: "OVSBond", ovs_bridge: noUplink, ovs_bonds: `enb${v}a enb${v}b`, bond_mode: "active-backup" });
      expect(ifaces[noUplink]).toMatchObject({ ovs_ports: `${port2} ${bond}`, mtu: "1280" });
    }
    await pveOk(inv, H, v, "delete", bond);
    expect((await pve(inv, H, v, "apply")).code).toBe(0);
    expect(await portsOf(noUplink)).toEqual([port2]);
    await sh(`ip link del enb${v}a; ip link del enb${v}b`);
  });

  test("deleting our bridges refuses while the human's port is on it, and the GUI can remove it first", async () => {
    await expect(provider.delete(`${H}/${withUplink}`, outs[withUplink])).rejects.toThrow(new RegExp(`ports pfsense-ha did not create \\(${port}\\)`));
    await pveOk(inv, H, v, "delete", port);
    await pveOk(inv, H, v, "delete", port2);
    expect((await pve(inv, H, v, "apply")).code).toBe(0);
    forgetOvsState();
    await provider.delete(`${H}/${withUplink}`, outs[withUplink]);
    await provider.delete(`${H}/${noUplink}`, outs[noUplink]);
    const ifaces = await pveRead(inv, H, v, "/etc/network/interfaces");
    expect(Object.keys(ifaces)).not.toContain(withUplink);
    expect(Object.keys(ifaces)).not.toContain(noUplink);
  });
});

describe("uplinks Proxmox cannot keep are refused before anything is written", () => {
  const br = "vmbru0";
  const mk = async (script: string) => sh(script);
  const snapshotOfNode = async () => ({ file: mainFile(), bridges: await sh("ovs-vsctl list-br") });

  // Bonds and VLAN links cannot be made in this kernel (no modules): those are tests/unit/ovs-uplink.test.ts.
  test.each([
    ["a member of a Linux bridge", "ip link add brl0 type bridge; ip link add enm0 type veth peer name enm0p; ip link set enm0 master brl0", "enm0", /already a port of the Linux bridge brl0.*remove it from brl0/],
    ["a NIC with an address", "ip link add ena0 type veth peer name ena0p; ip addr add 10.66.0.1/24 dev ena0", "ena0", /has the address 10\.66\.0\.1\/24.*move the address to the bridge/],
    ["a NIC with its own MTU line", "ip link add enx0 type veth peer name enx0p; printf '\\nauto enx0\\niface enx0 inet manual\\n\\tmtu 9000\\n' >> /etc/network/interfaces", "enx0", /own settings in \/etc\/network\/interfaces \(mtu 9000\).*network's mtu/],
    ["a link that is not a NIC (Proxmox types it unknown)", "ip link add upl0 type veth peer name upl0p", "upl0", /is a veth link, not a physical NIC/],
    ["a missing NIC", "true", "eno99", /does not exist on the node/],
  ])("%s", async (_what, setup, nic, message) => {
    await mk(setup);
    forgetOvsState();
    const before = await snapshotOfNode();
    await expect(provider.create(inputs(br, { uplink: nic }))).rejects.toThrow(message);
    expect(await snapshotOfNode()).toEqual(before);
    await sh(`ip link del ${nic} 2>/dev/null;  ip link del brl0 2>/dev/null; true`);
    await labExec(inv, H, "cat > /etc/network/interfaces", { stdin: pristine });
  });

  test.each(PVE_VERSIONS.map((v) => [v] as [PveVersion]))(
    "names check() refuses (bond0, eno2.100) are ones Proxmox %i's writer fails on in the old layout",
    async (v) => {
      for (const [nic, err] of [
        ["bond0", /interface 'bond0' is not defined as OVS port\/bond/],
        ["eno2.100", /interface 'eno2\.100' is not defined as OVS port\/bond/],
      ] as const) {
        expect((await provider.check({} as never, inputs(br, { uplink: nic }))).failures.map((f) => f.property)).toEqual(["uplink"]);
        // The file the provider wrote before it checked uplinks: a bridge stanza plus an OVSPort stanza for the NIC.
        const old = `${pristine}\nauto ${nic}\niface ${nic} inet manual\n\tovs_type OVSPort\n\tovs_bridge ${br}\n\nauto ${br}\niface ${br} inet manual\n\tovs_type OVSBridge\n\tovs_ports ${nic}\n`;
        await labExec(inv, H, "cat > /root/old-layout", { stdin: old });
        const r = await pve(inv, H, v, "write-check", "/root/old-layout");
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(err);
      }
    },
  );
});

describe("a concurrent Apply Configuration (ifreload -a) cannot undo a change", () => {
  const br = "vmbrr0";
  const tunnels = new VxlanNodeProvider();
  const port = tunnelPortName("race", "pve2");
  const tin = (vni: number): VxlanNodeInputs => ({
    endpoint: sshEndpointOf(inv.hosts[H], inv),
    node: H,
    tunnelId: "race",
    bridge: br,
    vni,
    underlayAddress: inv.hosts[H].underlayAddress as string,
    peers: [{ name: "pve2", address: inv.hosts.pve2.underlayAddress as string }],
  });
  const keyInOvs = async () => (await sh(`ovs-vsctl get interface ${port} options:key`)).trim().replace(/"/g, "");
  const keyInFile = () => /options:key=(\d+)/.exec(readFileSync(hostPath(inv, H, "/etc/network/interfaces.d/pfsense-ha"), "utf8"))?.[1];
  // ifreload -a started at the same moment as the change, from the node itself.
  const apply = () => labExec(inv, H, "ifreload -a", { timeoutMs: 120000 });
  /** The Apply is in the bridge's post-up (`sleep 2`): it has read the files and not yet set up the tunnel port. */
  const applyHasReadTheFiles = () => waitFor(() => pidsInNode(/^sleep 2 $/).length > 0, 60000, 20);
  let outs: VxlanNodeState;
  const TRIALS = 4;

  beforeAll(async () => {
    forgetOvsState();
    await provider.create(inputs(br, { mtu: undefined }));
    outs = (await tunnels.create(tin(500))).outs;
    // The race made deterministic: a human's `post-up sleep 2` on the bridge (kept by our merge) holds ifreload for two
    // seconds after it read the files and before it sets up the tunnel port; the change is made while that sleep runs.
    await sh(`sed -i 's/^iface ${br} inet manual$/&\\n\\tpost-up sleep 2/' /etc/network/interfaces`);
    expect(readFileSync(hostPath(inv, H, "/etc/network/interfaces"), "utf8")).toContain(`iface ${br} inet manual\n\tpost-up sleep 2\n`);
  });

  test("without the locks (the old protocol: file, then OVS) an Apply that read the old files reverts OVS", async () => {
    // Reproduces the race by hand: the Apply reads the old file, the change lands, the Apply then replays the old key.
    let reverted = 0;
    for (let n = 0; n < TRIALS; n++) {
      const want = 600 + n;
      const [r] = await Promise.all([
        apply(),
        (async () => {
          await applyHasReadTheFiles();
          await sh(`sed -i 's/options:key=[0-9]*/options:key=${want}/' /etc/network/interfaces.d/pfsense-ha; ovs-vsctl set interface ${port} options:key=${want}`);
        })(),
      ]);
      expect(r.code).toBe(0);
      if ((await keyInOvs()) !== String(want)) reverted++;
      await apply();
    }
    console.log(`unlocked change + concurrent ifreload -a: OVS reverted in ${reverted} of ${TRIALS} trials`);
    expect(reverted).toBe(TRIALS);
  });

  test("with the provider (Proxmox's lock + ifupdown2's lock, read back): every change holds, in OVS and in the file", async () => {
    let refusedApplies = 0;
    for (let n = 0; n < TRIALS; n++) {
      const want = 700 + n;
      forgetOvsState();
      const [r, u] = await Promise.all([apply(), (async () => {
        await applyHasReadTheFiles();
        return tunnels.update(`${H}/race`, outs, tin(want));
      })()]);
      outs = u.outs as VxlanNodeState;
      // An Apply that found the lock taken failed without touching anything (ifupdown2 takes it non-blocking).
      if (r.code !== 0) {
        expect(r.stderr).toMatch(/Another instance of this program is already running/);
        refusedApplies++;
      }
      expect(await keyInOvs()).toBe(String(want));
      expect(keyInFile()).toBe(String(want));
      // A later Apply reads the new file and keeps the key.
      expect((await apply()).code).toBe(0);
      expect(await keyInOvs()).toBe(String(want));
    }
    console.log(`provider change + concurrent ifreload -a: ${TRIALS} of ${TRIALS} held; ${refusedApplies} Apply runs found ifupdown2's lock taken`);
  });
});
