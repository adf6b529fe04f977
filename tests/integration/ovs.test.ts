// OvsBridge + VxlanTunnel providers against the lab's real OVS (userspace datapath), sshd and ifupdown2.
// Provider methods run from the serialized `__provider` text, loaded with require-from-string as Pulumi's host does.
import { readFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory, labSh } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { parseInterfacesFile, proxmoxProblems, optionOf } from "../../providers/ovs/interfaces-file";
import { parseInterfaces, parsePorts, parseBridges } from "../../providers/ovs/json";
import { tunnelPortName } from "../../providers/ovs/naming";
import type { OvsBridgeInputs, VxlanNodeInputs, VxlanNodeState } from "../../providers/ovs/types";
import { spawnSync } from "child_process";
import { installPveTools, pveRead, PVE_VERSIONS } from "../support/pve";

const requireFromString = require("require-from-string") as (code: string) => { handler: () => Provider };
// The serialized providers run in Node's own realm (not jest's sandbox): read the transport's counters there.
const realmStats = (requireFromString('module.exports.handler = () => globalThis[Symbol.for("pfsense-ha.ssh.state.v1")].stats') as unknown as {
  handler: () => { commands: number; connections: number };
}).handler;
const sshStats = () => realmStats();
type Props = Record<string, unknown>;
interface Provider {
  check(olds: Props, news: Props): Promise<{ inputs?: Props; failures?: { property: string; reason: string }[] }>;
  diff(id: string, olds: Props, news: Props): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<{ id?: string; props?: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs?: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

jest.setTimeout(240000);
const inv: LabInventory = loadInventory();
const NODES = ["pve1", "pve2"] as const;
const BR = "vmbrt1";
const TUN = "lan";

const sh = (host: string, script: string): Promise<string> => labSh(inv, host, script);
const file = (host: string, p: string) => {
  try {
    return readFileSync(hostPath(inv, host, p), "utf8");
  } catch {
    return undefined;
  }
};
const ep = (h: string) => sshEndpointOf(inv.hosts[h], inv);
const ul = (h: string) => inv.hosts[h].underlayAddress as string;
const peerOf = (h: string) => (h === "pve1" ? "pve2" : "pve1");

function bridgeInputs(h: string, extra: Partial<OvsBridgeInputs> = {}): Props {
  return { endpoint: ep(h), node: h, name: BR, datapathType: "netdev", mtu: 1400, ...extra } as unknown as Props;
}
function tunnelInputs(h: string, extra: Partial<VxlanNodeInputs> = {}): Props {
  const p = peerOf(h);
  return {
    endpoint: ep(h),
    node: h,
    tunnelId: TUN,
    bridge: BR,
    vni: 100,
    underlayAddress: ul(h),
    peers: [{ name: p, address: ul(p) }],
    bfd: true,
    ...extra,
  } as unknown as Props;
}

/** Create both resources under Pulumi mocks and return their serialized providers, loaded like the host does. */
async function loadSerializedProviders(): Promise<{ bridge: Provider; tunnel: Provider }> {
  const texts: Record<string, string> = {};
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        texts[args.name] = String(args.inputs.__provider);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "ovs-test",
    "dev",
  );
  const { OvsBridgeResource, VxlanNodeResource } = require("../../providers/ovs/resources") as typeof import("../../providers/ovs/resources");
  const b = new OvsBridgeResource("b", bridgeInputs("pve1") as never);
  const t = new VxlanNodeResource("t", tunnelInputs("pve1") as never);
  await new Promise((res) => pulumi.all([b.urn, t.urn, b.id, t.id]).apply(res));
  expect(Object.keys(texts).sort()).toEqual(["b", "t"]);
  const load = (text: string) => requireFromString(text).handler();
  return { bridge: load(texts.b), tunnel: load(texts.t) };
}

async function ovsState(h: string) {
  const [b, p, i] = await Promise.all([
    sh(h, "ovs-vsctl --format=json --columns=_uuid,name,ports,external_ids,datapath_type list bridge"),
    sh(h, "ovs-vsctl --format=json --columns=_uuid,name,interfaces,external_ids list port"),
    sh(h, "ovs-vsctl --format=json --columns=_uuid,name,type,options,ofport,error,external_ids,bfd,mtu_request list interface"),
  ]);
  return { bridges: parseBridges(b), ports: parsePorts(p), interfaces: parseInterfaces(i) };
}

/** What must be identical after a reboot replay or a reload: names, types, options, tags, datapath, MTU, BFD. */
async function comparable(h: string) {
  const s = await ovsState(h);
  const br = s.bridges.find((x) => x.name === BR);
  const portNames = br ? s.ports.filter((p) => br.ports.includes(p.uuid)).map((p) => p.name).sort() : [];
  return {
    bridge: br && { name: br.name, datapathType: br.datapathType, ids: br.externalIds },
    ports: portNames.map((n) => {
      const p = s.ports.find((x) => x.name === n)!;
      const i = s.interfaces.find((x) => x.name === n)!;
      return { n, type: i.type, options: i.options, portIds: p.externalIds, bfd: i.bfd, mtu: n === BR ? i.mtuRequest : undefined, ok: (i.ofport ?? -1) > 0 && !i.error };
    }),
  };
}

const pristine: Record<string, string | undefined> = {};
async function cleanup(): Promise<void> {
  for (const h of NODES) {
    await sh(h, `ovs-vsctl --if-exists del-br ${BR} -- --if-exists del-br vmbrt2 -- --if-exists del-br vmbrt3; rm -f /etc/network/interfaces.d/pfsense-ha /etc/network/interfaces.new`);
    if (pristine[h] !== undefined) await labExec(inv, h, "cat > /etc/network/interfaces", { stdin: pristine[h] });
  }
}

let P: { bridge: Provider; tunnel: Provider };
const ids: Record<string, string> = {};
const outs: Record<string, Props> = {};

beforeAll(async () => {
  for (const h of NODES) pristine[h] = file(h, "/etc/network/interfaces");
  for (const h of NODES) installPveTools(inv, h);
  await cleanup();
  P = await loadSerializedProviders();
});
afterAll(async () => {
  await cleanup();
  await closeAllHosts();
});

describe("OVS fabric on the lab", () => {
  test("check rejects bad input with the field, value and fix, without touching a host", async () => {
    const before = await ovsState("pve1");
    const bad = await P.tunnel.check({}, tunnelInputs("pve1", { vni: 16777216 }));
    expect(bad.failures?.map((f) => f.property)).toEqual(["vni"]);
    expect(bad.failures?.[0].reason).toMatch(/16777216.*Fix: set vni to a whole number between 1 and 16777215/);
    const mtu = await P.tunnel.check({}, tunnelInputs("pve1", { underlayMtu: 1500, overlayMtu: 1480 }));
    expect(mtu.failures?.[0].reason).toMatch(/raise the underlay MTU to at least 1530, or lower the overlay MTU to at most 1450/);
    const name = await P.bridge.check({}, bridgeInputs("pve1", { name: "a-very-long-bridge" }));
    expect(name.failures?.[0].property).toBe("name");
    expect((await P.bridge.check({}, bridgeInputs("pve1"))).failures).toEqual([]);
    expect(await ovsState("pve1")).toEqual(before);
  });

  test("create: bridges and the full mesh on both nodes, tagged, realised and persisted the Proxmox way", async () => {
    for (const h of NODES) {
      const b = await P.bridge.create(bridgeInputs(h));
      ids[`b-${h}`] = b.id;
      outs[`b-${h}`] = b.outs;
      expect(b.outs).toMatchObject({ present: true, persisted: true, name: BR });
    }
    for (const h of NODES) {
      const t = await P.tunnel.create(tunnelInputs(h));
      ids[`t-${h}`] = t.id;
      outs[`t-${h}`] = t.outs;
    }
    for (const h of NODES) {
      const port = tunnelPortName(TUN, peerOf(h));
      const s = await ovsState(h);
      const i = s.interfaces.find((x) => x.name === port)!;
      expect(i.type).toBe("vxlan");
      expect(i.options).toEqual({ remote_ip: ul(peerOf(h)), key: "100" });
      expect(i.ofport).toBeGreaterThan(0);
      expect(i.bfd.enable).toBe("true");
      expect(s.ports.find((x) => x.name === port)!.externalIds).toEqual({ "managed-by": "pfsense-ha", "pfsense-ha-tunnel": TUN });
      expect(s.bridges.find((x) => x.name === BR)).toMatchObject({ datapathType: "netdev", externalIds: { "managed-by": "pfsense-ha" } });
      const main = file(h, "/etc/network/interfaces")!;
      const tun = file(h, "/etc/network/interfaces.d/pfsense-ha")!;
      // Every line that was there before is still there, in order; our stanza is appended.
      expect(main.startsWith(pristine[h]!)).toBe(true);
      const bridgeStanza = parseInterfacesFile(main).stanzas.find((x) => x.name === BR)!;
      expect(optionOf(bridgeStanza, "ovs_type")).toBe("OVSBridge");
      expect(optionOf(bridgeStanza, "ovs_ports_condone_regex")).toBe("^(tap|veth|fwln|vx[0-9a-z]{6}-[0-9a-z]{6}$)");
      expect(new RegExp(optionOf(bridgeStanza, "ovs_ports_condone_regex")!).test(port)).toBe(true);
      const tunStanza = parseInterfacesFile(tun).stanzas.find((x) => x.name === port)!;
      expect(optionOf(tunStanza, "ovs_type")).toBe("OVSTunnel");
      expect(optionOf(tunStanza, "ovs_tunnel_options")).toBe(`options:remote_ip=${ul(peerOf(h))} options:key=100`);
      expect(optionOf(tunStanza, "ovs_mtu")).toBeUndefined();
      expect(proxmoxProblems(main + tun)).toEqual([]);
      // Proxmox's own reader (PVE 8 and 9) reads the file without dying and lists the bridge as its GUI would.
      for (const pv of PVE_VERSIONS) expect((await pveRead(inv, h, pv, "/etc/network/interfaces"))[BR]).toMatchObject({ type: "OVSBridge", mtu: "1400" });
    }
  });

  test("re-create is idempotent: same state, files byte-identical, port rows not recreated", async () => {
    const before = { s: await ovsState("pve1"), main: file("pve1", "/etc/network/interfaces"), tun: file("pve1", "/etc/network/interfaces.d/pfsense-ha") };
    const b = await P.bridge.create(bridgeInputs("pve1"));
    const t = await P.tunnel.create(tunnelInputs("pve1"));
    expect({ ...b.outs, ports: [] }).toEqual(outs["b-pve1"]);
    expect(t.outs).toEqual(outs["t-pve1"]);
    expect(file("pve1", "/etc/network/interfaces")).toBe(before.main);
    expect(file("pve1", "/etc/network/interfaces.d/pfsense-ha")).toBe(before.tun);
    expect((await ovsState("pve1")).ports.map((p) => p.uuid).sort()).toEqual(before.s.ports.map((p) => p.uuid).sort());
    const d = await P.tunnel.diff(ids["t-pve1"], outs["t-pve1"], tunnelInputs("pve1"));
    expect(d).toMatchObject({ changes: false, replaces: [] });
  });

  test("a packet crosses the VXLAN mesh between internal ports on the two nodes", async () => {
    for (const [h, ip] of [["pve1", "192.168.77.1"], ["pve2", "192.168.77.2"]]) {
      await sh(h, `ovs-vsctl -- --may-exist add-port ${BR} probe0 -- set interface probe0 type=internal && ip addr replace ${ip}/24 dev probe0 && ip link set probe0 up`);
    }
    const ping = await labExec(inv, "pve1", "ping -c 3 -W 2 192.168.77.2");
    expect(ping.stdout).toMatch(/[1-3] received/);
    const port = tunnelPortName(TUN, "pve2");
    // The port's live counter (the statistics column in ovsdb lags by up to 5 s).
    const stats = await sh("pve1", `ovs-ofctl dump-ports ${BR} ${port}`);
    expect(Number(/tx pkts=(\d+)/.exec(stats)?.[1] ?? "0")).toBeGreaterThan(0);
  });

  test("update in place: a new VNI changes options:key on the same port row, no replace", async () => {
    const news = tunnelInputs("pve1", { vni: 200 });
    const d = await P.tunnel.diff(ids["t-pve1"], outs["t-pve1"], news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const port = tunnelPortName(TUN, "pve2");
    const uuid = (await ovsState("pve1")).ports.find((p) => p.name === port)!.uuid;
    const u = await P.tunnel.update(ids["t-pve1"], outs["t-pve1"], news);
    const s = await ovsState("pve1");
    expect(s.ports.find((p) => p.name === port)!.uuid).toBe(uuid);
    expect(s.interfaces.find((i) => i.name === port)!.options.key).toBe("200");
    expect(file("pve1", "/etc/network/interfaces.d/pfsense-ha")).toContain("options:key=200");
    const back = await P.tunnel.update(ids["t-pve1"], u.outs!, tunnelInputs("pve1"));
    outs["t-pve1"] = back.outs!;
    const r = await P.tunnel.diff(ids["t-pve1"], outs["t-pve1"], tunnelInputs("pve1", { bridge: "vmbrt9" }));
    expect(r).toMatchObject({ replaces: ["bridge"], deleteBeforeReplace: true });
    const rb = await P.bridge.diff(ids["b-pve1"], outs["b-pve1"], bridgeInputs("pve1", { mtu: 1300 }));
    expect(rb).toMatchObject({ changes: true, replaces: [] });
  });

  test("a hand edit made after our last read is kept: the plan made from the remembered state is not applied, but re-planned", async () => {
    await sh("pve1", "printf '# added by hand\\n' >> /etc/network/interfaces");
    const c0 = sshStats().commands;
    const u = await P.bridge.update(ids["b-pve1"], outs["b-pve1"], bridgeInputs("pve1", { mtu: 1300 }));
    // One script found the state changed and returned it, the second applied the re-made plan.
    expect(sshStats().commands - c0).toBe(2);
    const main = file("pve1", "/etc/network/interfaces")!;
    expect(main).toContain("# added by hand\n");
    expect(optionOf(parseInterfacesFile(main).stanzas.find((x) => x.name === BR)!, "ovs_mtu")).toBe("1300");
    outs["b-pve1"] = (await P.bridge.update(ids["b-pve1"], u.outs!, bridgeInputs("pve1"))).outs!;
    await sh("pve1", "sed -i '/^# added by hand$/d' /etc/network/interfaces");
  });

  test("drift: a port deleted by hand, a changed remote_ip and a removed stanza are reported by read and repaired", async () => {
    const p1 = tunnelPortName(TUN, "pve2");
    const p2 = tunnelPortName(TUN, "pve1");
    await sh("pve1", `ovs-vsctl del-port ${p1}`);
    await sh("pve2", `ovs-vsctl set interface ${p2} options:remote_ip=10.9.9.9`);
    await sh("pve2", `sed -i '/^auto ${p2}$/d; /^iface ${p2} /,/^$/d' /etc/network/interfaces.d/pfsense-ha`);
    const r1 = (await P.tunnel.read(ids["t-pve1"], outs["t-pve1"])).props as unknown as VxlanNodeState;
    const r2 = (await P.tunnel.read(ids["t-pve2"], outs["t-pve2"])).props as unknown as VxlanNodeState;
    expect(r1.ports[0]).toMatchObject({ name: p1, remoteIp: "", persisted: true, owned: false });
    expect(r2.ports[0]).toMatchObject({ name: p2, remoteIp: "10.9.9.9", persisted: false });
    for (const [h, r] of [["pve1", r1], ["pve2", r2]] as const) {
      const d = await P.tunnel.diff(ids[`t-${h}`], r as unknown as Props, tunnelInputs(h));
      expect(d).toMatchObject({ changes: true, replaces: [] });
      outs[`t-${h}`] = (await P.tunnel.update(ids[`t-${h}`], r as unknown as Props, tunnelInputs(h))).outs!;
      const again = (await P.tunnel.read(ids[`t-${h}`], outs[`t-${h}`])).props!;
      expect((await P.tunnel.diff(ids[`t-${h}`], again, tunnelInputs(h))).changes).toBe(false);
    }
    expect((await ovsState("pve2")).interfaces.find((i) => i.name === p2)!.options.remote_ip).toBe(ul("pve1"));
  });

  test("foreign ports are untouched, and a foreign port with our name is refused unless adopted", async () => {
    expect((await ovsState("pve1")).ports.some((p) => p.name === "probe0")).toBe(true);
    const other = tunnelInputs("pve1", { tunnelId: "dmz", vni: 300 });
    const port = tunnelPortName("dmz", "pve2");
    await sh("pve1", `ovs-vsctl add-port ${BR} ${port} -- set interface ${port} type=internal`);
    await expect(P.tunnel.create(other)).rejects.toThrow(/was not created by pfsense-ha; set adopt: true/);
    const same = tunnelInputs("pve1", { tunnelId: "dup" });
    await expect(P.tunnel.create(same)).rejects.toThrow(/already uses remote_ip .* with key 100/);
    await sh("pve1", `ovs-vsctl del-port ${port}`);
  });

  test("concurrent resources on one node in one run: no lost update to the interfaces files", async () => {
    const h = "pve1";
    const c0 = sshStats().commands;
    const created = await Promise.all([
      P.bridge.create(bridgeInputs(h, { name: "vmbrt2" })),
      P.bridge.create(bridgeInputs(h, { name: "vmbrt3", mtu: undefined })),
      P.tunnel.create(tunnelInputs(h, { tunnelId: "dmz", vni: 300 })),
      P.tunnel.create(tunnelInputs(h, { tunnelId: "sync", vni: 400, bridge: "vmbrt1" })),
    ]);
    // One batch: at most a state read plus one script for all four (one lock, one transaction, one write per file).
    expect(sshStats().commands - c0).toBeLessThanOrEqual(2);
    const main = file(h, "/etc/network/interfaces")!;
    const tun = file(h, "/etc/network/interfaces.d/pfsense-ha")!;
    const names = parseInterfacesFile(main + tun).stanzas.map((s) => s.name);
    for (const n of [BR, "vmbrt2", "vmbrt3", tunnelPortName(TUN, "pve2"), tunnelPortName("dmz", "pve2"), tunnelPortName("sync", "pve2")]) {
      expect(names).toContain(n);
    }
    await P.tunnel.delete(created[2].id, created[2].outs);
    await P.tunnel.delete(created[3].id, created[3].outs);
    await P.bridge.delete(created[0].id, created[0].outs);
    await P.bridge.delete(created[1].id, created[1].outs);
    expect(parseInterfacesFile(file(h, "/etc/network/interfaces")!).stanzas.map((s) => s.name)).not.toContain("vmbrt2");
  });

  test("a batch whose transaction fails is split: only the failing operation is refused, with ovs-vsctl's message", async () => {
    const h = "pve1";
    // A port named like the second bridge: the bridges' preflight does not look for it, ovs-vsctl refuses add-br.
    await sh(h, `ovs-vsctl -- --may-exist add-port ${BR} vmbrtx -- set interface vmbrtx type=internal`);
    const before = file(h, "/etc/network/interfaces");
    const c0 = sshStats().commands;
    const [good, bad] = await Promise.allSettled([
      P.bridge.create(bridgeInputs(h, { name: "vmbrt2" })),
      P.bridge.create(bridgeInputs(h, { name: "vmbrtx" })),
    ]);
    // One batch: state changed (the port above) -> re-planned -> transaction failed -> each op alone (2 scripts).
    expect(sshStats().commands - c0).toBe(4);
    expect(good.status).toBe("fulfilled");
    expect(bad.status).toBe("rejected");
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/ovs-vsctl transaction failed.*vmbrtx/);
    const stanzas = parseInterfacesFile(file(h, "/etc/network/interfaces")!).stanzas.map((x) => x.name);
    expect(stanzas).toContain("vmbrt2");
    expect(stanzas).not.toContain("vmbrtx");
    expect((await sh(h, "ovs-vsctl list-br")).split("\n")).not.toContain("vmbrtx");
    await P.bridge.delete((good as PromiseFulfilledResult<{ id: string; outs: Props }>).value.id, (good as PromiseFulfilledResult<{ id: string; outs: Props }>).value.outs);
    await sh(h, "ovs-vsctl del-port vmbrtx");
    expect(file(h, "/etc/network/interfaces")).toBe(before);
  });

  test("reload survival: ifreload -a keeps every tunnel, the ownership marks and the datapath", async () => {
    for (const h of NODES) {
      const before = await comparable(h);
      const portUuids = (await ovsState(h)).ports.map((p) => p.uuid).sort();
      const r = await labExec(inv, h, "ifreload -a");
      expect(r.code).toBe(0);
      expect(await comparable(h)).toEqual(before);
      // Not pruned and re-added: the same port rows.
      expect((await ovsState(h)).ports.map((p) => p.uuid).sort()).toEqual(portUuids);
    }
    const ping = await labExec(inv, "pve1", "ping -c 2 -W 2 192.168.77.2");
    expect(ping.stdout).toMatch(/[1-2] received/);
  });

  test("reboot survival: wipe OVS, replay the network files with ifup -a, find bridges and tunnels identical", async () => {
    const before = await comparable("pve1");
    const reset = spawnSync("bash", ["lab/lab.sh", "ovs-reset", "pve1"], { encoding: "utf8", env: { ...process.env, PFHA_LAB_ID: String(inv.id) } });
    expect(reset.status).toBe(0);
    expect((await sh("pve1", "ovs-vsctl list-br")).trim()).toBe("");
    await labExec(inv, "pve1", "ifup -a"); // warns "interface not recognized" for userspace vports (harmless)
    const after = await comparable("pve1");
    // probe0 was a runtime-only test port; everything pfsense-ha made is back as it was.
    const strip = (c: typeof before) => ({ ...c, ports: c.ports.filter((p) => p.n !== "probe0") });
    expect(strip(after)).toEqual(strip(before));
    const read = (await P.tunnel.read(ids["t-pve1"], outs["t-pve1"])).props!;
    expect((await P.tunnel.diff(ids["t-pve1"], read, tunnelInputs("pve1"))).changes).toBe(false);
  });

  test("pending GUI changes in /etc/network/interfaces.new: refused with a clear message, nothing lost", async () => {
    await sh("pve1", "cp /etc/network/interfaces /etc/network/interfaces.new && echo '# staged' >> /etc/network/interfaces.new");
    const main = file("pve1", "/etc/network/interfaces");
    await expect(P.bridge.update(ids["b-pve1"], outs["b-pve1"], bridgeInputs("pve1", { mtu: 1300 }))).rejects.toThrow(/pending network changes in \/etc\/network\/interfaces.new.*Apply Configuration/);
    expect(file("pve1", "/etc/network/interfaces")).toBe(main);
    expect(file("pve1", "/etc/network/interfaces.new")).toContain("# staged");
    await sh("pve1", "rm /etc/network/interfaces.new");
  });

  test("delete removes only what it created; the bridge refuses while a foreign port remains", async () => {
    for (const h of NODES) await P.tunnel.delete(ids[`t-${h}`], outs[`t-${h}`]);
    for (const h of NODES) {
      const s = await ovsState(h);
      expect(s.ports.some((p) => p.name.startsWith("vx"))).toBe(false);
      expect(parseInterfacesFile(file(h, "/etc/network/interfaces.d/pfsense-ha") ?? "").stanzas).toEqual([]);
    }
    await sh("pve1", `ovs-vsctl -- --may-exist add-port ${BR} probe0 -- set interface probe0 type=internal`);
    await expect(P.bridge.delete(ids["b-pve1"], outs["b-pve1"])).rejects.toThrow(/ports pfsense-ha did not create \(probe0\).*forceDelete/);
    await sh("pve1", "ovs-vsctl del-port probe0");
    await sh("pve2", "ovs-vsctl --if-exists del-port probe0");
    for (const h of NODES) {
      await P.bridge.delete(ids[`b-${h}`], outs[`b-${h}`]);
      expect((await sh(h, "ovs-vsctl list-br")).trim()).toBe("br-underlay");
      expect(file(h, "/etc/network/interfaces")).toBe(pristine[h]);
    }
  });
});
