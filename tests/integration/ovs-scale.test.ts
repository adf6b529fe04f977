// The fabric on more than two Proxmox nodes: the lab grown to four nodes (PFHA_LAB_NODES=4), two networks (bridges
// vmbrs1, vmbrs2) with a full VXLAN mesh each, driven through the OVS providers as the engine drives them
// (tests/support/ovs-mesh.ts). On 3 nodes: the exact port names and stanzas on each node, one SSH connection per node
// per run, a no-op run that changes nothing, the split horizon; then a fourth node joins, and a node leaves (its
// tunnels disappear everywhere). The lab goes back to its node count afterwards.
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { hostPath, labIdFromEnv, labProxmoxNodes, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { optionOf, parseInterfacesFile } from "../../providers/ovs/interfaces-file";
import { parseInterfaces, parsePorts } from "../../providers/ovs/json";
import { acceptedPerHost, converge, fabricFingerprint, meshResources, wipeMesh, type MeshNetwork, type MeshState } from "../support/ovs-mesh";

jest.setTimeout(300000);

const LAB_SH = path.join(__dirname, "..", "..", "lab", "lab.sh");
const ID = labIdFromEnv();
const MGMT = `10.250.${2 * ID}`;
const UL = `10.250.${2 * ID + 1}`;
const NETS: MeshNetwork[] = [
  { bridge: "vmbrs1", tunnelId: "scale-vx-lan", vni: 5001 },
  { bridge: "vmbrs2", tunnelId: "scale-vx-sync", vni: 5002 },
];
const ALL = ["pve1", "pve2", "pve3", "pve4"];

// Golden: the port names the providers give (tunnelPortName: "vx" + 6 of the tunnel id + "-" + 6 of the peer), per
// node and bridge, each with the last octet of its remote_ip on the underlay and its key. vxv05gbw = scale-vx-lan,
// vxkc9rtb = scale-vx-sync; 5io1xk = pve1, vdu65w = pve2, whthmi = pve3, vm0hrp = pve4.
type Ports = Record<string, [name: string, remoteOctet: number, key: number][]>;
const MESH3: Record<string, Ports> = {
  pve1: {
    vmbrs1: [["vxv05gbw-vdu65w", 12, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-vdu65w", 12, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
  pve2: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
  pve3: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-vdu65w", 12, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-vdu65w", 12, 5002]],
  },
};
const MESH4: Record<string, Ports> = {
  pve1: {
    vmbrs1: [["vxv05gbw-vdu65w", 12, 5001], ["vxv05gbw-vm0hrp", 14, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-vdu65w", 12, 5002], ["vxkc9rtb-vm0hrp", 14, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
  pve2: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-vm0hrp", 14, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-vm0hrp", 14, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
  pve3: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-vdu65w", 12, 5001], ["vxv05gbw-vm0hrp", 14, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-vdu65w", 12, 5002], ["vxkc9rtb-vm0hrp", 14, 5002]],
  },
  pve4: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-vdu65w", 12, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-vdu65w", 12, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
};
// pve2 leaves the 4-node mesh.
const MESH_WITHOUT_PVE2: Record<string, Ports> = {
  pve1: {
    vmbrs1: [["vxv05gbw-vm0hrp", 14, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-vm0hrp", 14, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
  pve3: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-vm0hrp", 14, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-vm0hrp", 14, 5002]],
  },
  pve4: {
    vmbrs1: [["vxv05gbw-5io1xk", 11, 5001], ["vxv05gbw-whthmi", 13, 5001]],
    vmbrs2: [["vxkc9rtb-5io1xk", 11, 5002], ["vxkc9rtb-whthmi", 13, 5002]],
  },
};

// Golden: pve3's whole tunnels file in the 3-node mesh, and the stanzas appended to its main interfaces file.
const PVE3_TUNNELS_FILE = `# Managed by pfsense-ha: VXLAN ports (ovs_type OVSTunnel). Edits here are overwritten.

auto vxv05gbw-5io1xk
iface vxv05gbw-5io1xk inet manual
	ovs_type OVSTunnel
	ovs_bridge vmbrs1
	ovs_tunnel_type vxlan
	ovs_tunnel_options options:remote_ip=${UL}.11 options:key=5001
	ovs_extra set interface vxv05gbw-5io1xk bfd:enable=false -- set port vxv05gbw-5io1xk protected=true external_ids:managed-by=pfsense-ha external_ids:pfsense-ha-tunnel=scale-vx-lan

auto vxv05gbw-vdu65w
iface vxv05gbw-vdu65w inet manual
	ovs_type OVSTunnel
	ovs_bridge vmbrs1
	ovs_tunnel_type vxlan
	ovs_tunnel_options options:remote_ip=${UL}.12 options:key=5001
	ovs_extra set interface vxv05gbw-vdu65w bfd:enable=false -- set port vxv05gbw-vdu65w protected=true external_ids:managed-by=pfsense-ha external_ids:pfsense-ha-tunnel=scale-vx-lan

auto vxkc9rtb-5io1xk
iface vxkc9rtb-5io1xk inet manual
	ovs_type OVSTunnel
	ovs_bridge vmbrs2
	ovs_tunnel_type vxlan
	ovs_tunnel_options options:remote_ip=${UL}.11 options:key=5002
	ovs_extra set interface vxkc9rtb-5io1xk bfd:enable=false -- set port vxkc9rtb-5io1xk protected=true external_ids:managed-by=pfsense-ha external_ids:pfsense-ha-tunnel=scale-vx-sync

auto vxkc9rtb-vdu65w
iface vxkc9rtb-vdu65w inet manual
	ovs_type OVSTunnel
	ovs_bridge vmbrs2
	ovs_tunnel_type vxlan
	ovs_tunnel_options options:remote_ip=${UL}.12 options:key=5002
	ovs_extra set interface vxkc9rtb-vdu65w bfd:enable=false -- set port vxkc9rtb-vdu65w protected=true external_ids:managed-by=pfsense-ha external_ids:pfsense-ha-tunnel=scale-vx-sync
`;
const BRIDGE_STANZAS = `
auto vmbrs1
iface vmbrs1 inet manual
	ovs_type OVSBridge
	ovs_options datapath_type=netdev
	ovs-ports-condone-regex ^(tap|veth|fwln|vx[0-9a-z]{6}-[0-9a-z]{6}$)
	ovs_extra br-set-external-id vmbrs1 managed-by pfsense-ha

auto vmbrs2
iface vmbrs2 inet manual
	ovs_type OVSBridge
	ovs_options datapath_type=netdev
	ovs-ports-condone-regex ^(tap|veth|fwln|vx[0-9a-z]{6}-[0-9a-z]{6}$)
	ovs_extra br-set-external-id vmbrs2 managed-by pfsense-ha
`;

function labUp(nodes: number): void {
  const r = spawnSync("bash", [LAB_SH, "up"], { env: { ...process.env, PFHA_LAB_ID: String(ID), PFHA_LAB_NODES: String(nodes) }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`PFHA_LAB_NODES=${nodes} lab.sh up failed: ${r.stderr}`);
}
const file = (h: string, p: string): string | undefined => {
  try {
    return readFileSync(hostPath(inv, h, p), "utf8");
  } catch {
    return undefined;
  }
};

/** The tunnel ports on each of our bridges of host h, as OVS has them: name, remote_ip, key, split horizon, tags, realised. */
async function meshOf(h: string) {
  const [ports, ifaces, brs] = await Promise.all([
    labSh(inv, h, "ovs-vsctl --format=json --columns=_uuid,name,interfaces,external_ids,protected list port"),
    labSh(inv, h, "ovs-vsctl --format=json --columns=_uuid,name,type,options,ofport,error,external_ids,bfd,mtu_request list interface"),
    labSh(inv, h, `for b in ${NETS.map((n) => n.bridge).join(" ")}; do ovs-vsctl br-exists $b && echo "$b $(ovs-vsctl list-ports $b | tr '\\n' ' ')"; done; true`),
  ]);
  const P = parsePorts(ports);
  const I = parseInterfaces(ifaces);
  const out: Record<string, { name: string; remote: string; key: string; type: string; protected: boolean; tunnel: string; realised: boolean }[]> = {};
  for (const line of brs.split("\n").filter(Boolean)) {
    const [br, ...names] = line.trim().split(/\s+/);
    out[br] = names.sort().map((n) => {
      const i = I.find((x) => x.name === n)!;
      const p = P.find((x) => x.name === n)!;
      return { name: n, remote: i.options.remote_ip, key: i.options.key, type: i.type, protected: p.protected, tunnel: p.externalIds["pfsense-ha-tunnel"], realised: (i.ofport ?? -1) > 0 && !i.error };
    });
  }
  return out;
}

/** What meshOf must find on h for the golden `want`. */
function expected(want: Ports) {
  return Object.fromEntries(
    Object.entries(want).map(([br, ports]) => [
      br,
      ports.map(([name, octet, key]) => ({
        name,
        remote: `${UL}.${octet}`,
        key: String(key),
        type: "vxlan",
        protected: true,
        tunnel: key === 5001 ? "scale-vx-lan" : "scale-vx-sync",
        realised: true,
      })),
    ]),
  );
}

/** The stanzas of the tunnels file of h: name -> [bridge, tunnel options]. */
function stanzasOf(h: string): Record<string, [string | undefined, string | undefined]> {
  const text = file(h, "/etc/network/interfaces.d/pfsense-ha") ?? "";
  return Object.fromEntries(
    parseInterfacesFile(text).stanzas.map((s) => [
      s.name,
      [optionOf(s, "ovs_bridge"), optionOf(s, "ovs_tunnel_options")],
    ]),
  );
}
function expectedStanzas(want: Ports): Record<string, [string, string]> {
  return Object.fromEntries(
    Object.entries(want).flatMap(([br, ports]) => ports.map(([name, octet, key]) => [name, [br, `options:remote_ip=${UL}.${octet} options:key=${key}`]])),
  );
}

let inv: LabInventory;
let before = 2;
const pristine: Record<string, string> = {};
const state: MeshState = new Map();

beforeAll(() => {
  try {
    before = labProxmoxNodes(loadInventory(ID)).length;
  } catch {
    before = 2;
  }
  labUp(Math.max(before, 4));
  inv = loadInventory(ID);
  for (const h of ALL) pristine[h] = file(h, "/etc/network/interfaces")!;
});

afterAll(async () => {
  try {
    await converge(state, []);
  } finally {
    await wipeMesh(inv, ALL, NETS, pristine);
    labUp(before);
  }
});

test("PFHA_LAB_NODES=4: four Proxmox nodes in the inventory, each with its own addresses, host key, sshd and OVS", async () => {
  expect(labProxmoxNodes(inv)).toEqual(["pve1", "pve2", "pve3", "pve4"]);
  expect(Object.keys(inv.hosts)).toEqual(["pve1", "pve2", "pve3", "pve4", "fw1", "fw2"]);
  expect(ALL.map((h) => [inv.hosts[h].address, inv.hosts[h].underlayAddress, inv.hosts[h].underlayBridge])).toEqual([
    [`${MGMT}.11`, `${UL}.11`, "br-underlay"],
    [`${MGMT}.12`, `${UL}.12`, "br-underlay"],
    [`${MGMT}.13`, `${UL}.13`, "br-underlay"],
    [`${MGMT}.14`, `${UL}.14`, "br-underlay"],
  ]);
  expect([inv.hosts.fw1.address, inv.hosts.fw2.address]).toEqual([`${MGMT}.21`, `${MGMT}.22`]);
  expect(new Set(ALL.map((h) => inv.hosts[h].hostKeySha256)).size).toBe(4);
  const status = spawnSync("bash", [LAB_SH, "status"], { env: { ...process.env, PFHA_LAB_ID: String(ID) }, encoding: "utf8" });
  expect(status.status).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`^pve4 +proxmox +${MGMT.replace(/\./g, "\\.")}\\.14 +sshd=alive ovsdb=alive vswitchd=alive underlay=${UL.replace(/\./g, "\\.")}\\.14$`, "m"));
  for (const h of ALL) expect((await labSh(inv, h, "hostname; ovs-vsctl list-br")).split("\n").filter(Boolean)).toEqual([h, "br-underlay"]);
});

test("3 nodes, cold: both bridges and a port to each peer on every node: exact names, options, split horizon, stanzas; one connection per node", async () => {
  const nodes = ["pve1", "pve2", "pve3"];
  const a0 = acceptedPerHost(inv, nodes);
  const run = await converge(state, meshResources(inv, nodes, NETS));
  const a1 = acceptedPerHost(inv, nodes);
  expect(run).toMatchObject({ created: 12, updated: 0, deleted: 0, same: 0, connections: 3 });
  expect(nodes.map((h) => a1[h] - a0[h])).toEqual([1, 1, 1]);
  for (const h of nodes) {
    expect(await meshOf(h)).toEqual(expected(MESH3[h]));
    expect(stanzasOf(h)).toEqual(expectedStanzas(MESH3[h]));
    expect(file(h, "/etc/network/interfaces")).toBe(pristine[h] + BRIDGE_STANZAS);
  }
  expect(file("pve3", "/etc/network/interfaces.d/pfsense-ha")).toBe(PVE3_TUNNELS_FILE);
  expect(await meshOf("pve4")).toEqual({});
});

test("3 nodes, no-op: refresh + diff change nothing; one connection and one remote command per node", async () => {
  const nodes = ["pve1", "pve2", "pve3"];
  const fp = await fabricFingerprint(inv, ALL);
  const a0 = acceptedPerHost(inv, nodes);
  const run = await converge(state, meshResources(inv, nodes, NETS));
  const a1 = acceptedPerHost(inv, nodes);
  expect(run).toMatchObject({ created: 0, updated: 0, deleted: 0, same: 12, commands: 3, connections: 3 });
  expect(nodes.map((h) => a1[h] - a0[h])).toEqual([1, 1, 1]);
  expect(await fabricFingerprint(inv, ALL)).toBe(fp);
});

test("split horizon: a broadcast from one peer is delivered on the node and never sent on to another peer", async () => {
  // ofproto/trace runs OVS's own forwarding decision for a packet (nothing is sent). Seen on pve2 of the 3-node mesh.
  await labSh(inv, "pve2", "ovs-vsctl -- --may-exist add-port vmbrs1 probe0 -- set interface probe0 type=internal");
  try {
    const trace = (inPort: string) =>
      labSh(inv, "pve2", `ovs-appctl ofproto/trace vmbrs1 in_port=${inPort},dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806`);
    const fromPeer = await trace("vxv05gbw-5io1xk"); // the tunnel from pve1
    const actions = (t: string) => t.split("\n").find((l) => l.startsWith("Datapath actions:"))!;
    expect(actions(fromPeer)).not.toMatch(/tnl_push/); // not to pve3 (nor back to pve1)
    expect(fromPeer).not.toMatch(new RegExp(`tunneling to ${UL.replace(/\./g, "\\.")}\\.13`));
    // A local port (a VM's tap) still floods to every peer: one copy to pve1, one to pve3.
    const fromLocal = await trace("probe0");
    expect(actions(fromLocal).match(/tnl_push/g)).toHaveLength(2);
    expect(fromLocal).toMatch(new RegExp(`tunneling to ${UL.replace(/\./g, "\\.")}\\.11`));
    expect(fromLocal).toMatch(new RegExp(`tunneling to ${UL.replace(/\./g, "\\.")}\\.13`));
  } finally {
    await labSh(inv, "pve2", "ovs-vsctl --if-exists del-port probe0");
  }
});

test("a reboot keeps the split horizon: OVS wiped, ifup -a replays the files, the ports come back protected", async () => {
  const r = spawnSync("bash", [LAB_SH, "ovs-reset", "pve3"], { env: { ...process.env, PFHA_LAB_ID: String(ID) }, encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(await meshOf("pve3")).toEqual({});
  await labSh(inv, "pve3", "ifup -a >/dev/null 2>&1 || true");
  expect(await meshOf("pve3")).toEqual(expected(MESH3.pve3));
  const run = await converge(state, meshResources(inv, ["pve1", "pve2", "pve3"], NETS));
  expect(run).toMatchObject({ created: 0, updated: 0, deleted: 0, same: 12 });
});

test("a fourth node joins: it gets its bridges and share, every other node gains exactly the port towards it", async () => {
  const run = await converge(state, meshResources(inv, ALL, NETS));
  expect(run).toMatchObject({ created: 4, updated: 6, deleted: 0, same: 6, connections: 4 });
  for (const h of ALL) {
    expect(await meshOf(h)).toEqual(expected(MESH4[h]));
    expect(stanzasOf(h)).toEqual(expectedStanzas(MESH4[h]));
  }
  const again = await converge(state, meshResources(inv, ALL, NETS));
  expect(again).toMatchObject({ created: 0, updated: 0, deleted: 0, same: 16 });
});

test("a node leaves (pve2): its tunnels are gone on every other node, and its own bridges, ports and stanzas too", async () => {
  const rest = ["pve1", "pve3", "pve4"];
  const run = await converge(state, meshResources(inv, rest, NETS));
  expect(run).toMatchObject({ created: 0, updated: 6, deleted: 4, same: 6 });
  for (const h of rest) {
    expect(await meshOf(h)).toEqual(expected(MESH_WITHOUT_PVE2[h]));
    expect(stanzasOf(h)).toEqual(expectedStanzas(MESH_WITHOUT_PVE2[h]));
    expect(file(h, "/etc/network/interfaces.d/pfsense-ha")).not.toMatch(/vdu65w/);
  }
  expect((await labSh(inv, "pve2", "ovs-vsctl list-br")).trim()).toBe("br-underlay");
  expect((await labSh(inv, "pve2", "ovs-vsctl --format=json --columns=name list port")).includes("vx")).toBe(false);
  expect(file("pve2", "/etc/network/interfaces")).toBe(pristine.pve2);
  expect(parseInterfacesFile(file("pve2", "/etc/network/interfaces.d/pfsense-ha") ?? "").stanzas).toEqual([]);
  const again = await converge(state, meshResources(inv, rest, NETS));
  expect(again).toMatchObject({ created: 0, updated: 0, deleted: 0, same: 12 });
});
