// Faults around one OVS change on the lab node pve2: the SSH session dropped mid-change, the remote script killed,
// a hung ovsdb-server, a node without Open vSwitch. Each must end in a clear message naming the node and what
// happened, with the node's temp folders removed.
import { readFileSync } from "fs";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory, labSh } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { OvsBridgeProvider } from "../../providers/ovs/bridgeProvider";
import { forgetOvsState } from "../../providers/ovs/host-batch";
import type { OvsBridgeInputs, OvsBridgeState } from "../../providers/ovs/types";
import { errorOf, waitFor } from "../support/async";

jest.setTimeout(240000);
const inv: LabInventory = loadInventory();
const H = "pve2";
const BR = "vmbrf0";
const provider = new OvsBridgeProvider();
type Outs = OvsBridgeState & { created: boolean };
const inputs = (extra: Partial<OvsBridgeInputs> = {}): OvsBridgeInputs => ({
  endpoint: sshEndpointOf(inv.hosts[H], inv),
  node: H,
  name: BR,
  datapathType: "netdev",
  mtu: 1400,
  ...extra,
});

const sh = (script: string): Promise<string> => labSh(inv, H, script);
/** Processes of this lab node only (its network namespace), whose command line matches `re`. */
function nodePids(re: RegExp): number[] {
  const out = labPidsOfNetns(inv.hosts[H].netns!);
  return out.filter((pid) => {
    try {
      return re.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
    } catch {
      return false;
    }
  });
}
function labPidsOfNetns(netns: string): number[] {
  const r = require("child_process").spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" }) as { stdout: string };
  return r.stdout.split("\n").filter(Boolean).map(Number);
}
const tempDirs = async () => (await sh("ls -d /tmp/tmp.* 2>/dev/null || true")).split("\n").filter(Boolean).sort();
const mtuInOvs = async () => (await sh(`ovs-vsctl get interface ${BR} mtu_request`)).trim();
/** Holds ifupdown2's lock on the node for `s` seconds, so the next change waits inside its script. */
const holdIfupdownLock = (s: number) => labExec(inv, H, `flock /run/network/.lock sleep ${s}`, { timeoutMs: 60000 });

let pristine = "";
let outs: Outs;
beforeAll(async () => {
  pristine = readFileSync(hostPath(inv, H, "/etc/network/interfaces"), "utf8");
  await sh(`ovs-vsctl --if-exists del-br ${BR}; mkdir -p /run/network`);
  forgetOvsState();
  outs = (await provider.create(inputs())).outs;
});
afterAll(async () => {
  await sh(`ovs-vsctl --if-exists del-br ${BR}; [ -e /usr/bin/ovs-vsctl.off ] && mv /usr/bin/ovs-vsctl.off /usr/bin/ovs-vsctl; true`);
  await labExec(inv, H, "cat > /etc/network/interfaces", { stdin: pristine });
  await closeAllHosts();
});

test("a new bridge is link-up at once (no reload needed)", async () => {
  expect(await sh(`ip -o link show ${BR}`)).toMatch(/[<,]UP[,>]/);
});

test("the session dropped during the change: the script finishes, and the read back after reconnecting says it was applied", async () => {
  const before = await tempDirs();
  forgetOvsState();
  const hold = holdIfupdownLock(3);
  await new Promise((r) => setTimeout(r, 300));
  const update = provider.update(`${H}/${BR}`, outs, inputs({ mtu: 1300 }));
  // Our script is now waiting for ifupdown2's lock; cut its SSH session (the sshd processes serving root sessions).
  await waitFor(() => nodePids(/^flock -w 30 8/).length > 0, 10000, 50);
  const sessions = nodePids(/^sshd: root/);
  expect(sessions.length).toBeGreaterThan(0);
  for (const pid of sessions) process.kill(pid, "SIGKILL");
  outs = (await update).outs;
  await hold;
  expect(outs).toMatchObject({ mtu: 1300, present: true, persisted: true });
  expect(await mtuInOvs()).toBe("1300");
  await waitFor(async () => (await tempDirs()).join() === before.join(), 10000);
});

test("the remote script killed while it waits: no change, the message names the node, the temp folder is gone", async () => {
  const before = await tempDirs();
  forgetOvsState();
  const hold = holdIfupdownLock(3);
  await new Promise((r) => setTimeout(r, 300));
  const update = provider.update(`${H}/${BR}`, outs, inputs({ mtu: 1200 }));
  await waitFor(() => nodePids(/^flock -w 30 8/).length > 0, 10000, 50);
  for (const pid of nodePids(/^sh -s/)) process.kill(pid, "SIGTERM");
  expect(await errorOf(update)).toMatch(/^pve2: OVS batch script failed \(exit 143\)/);
  await hold;
  expect(await mtuInOvs()).toBe("1300");
  expect(await tempDirs()).toEqual(before);
});

test("a hung ovsdb-server: the message names the node and what timed out", async () => {
  const pid = Number(readFileSync(`${inv.stateDir}/hosts/${H}/run/openvswitch/ovsdb-server.pid`, "utf8").trim());
  forgetOvsState();
  process.kill(pid, "SIGSTOP");
  try {
    const msg = await errorOf(provider.update(`${H}/${BR}`, outs, inputs({ mtu: 1200 })));
    expect(msg).toMatch(/^pve2: ovs-vsctl got no answer from ovsdb-server\/ovs-vswitchd within 15 s .*systemctl status openvswitch-switch/);
  } finally {
    process.kill(pid, "SIGCONT");
  }
});

test("a node without Open vSwitch: a clear message, not an ovs-vsctl error", async () => {
  forgetOvsState();
  await sh("mv /usr/bin/ovs-vsctl /usr/bin/ovs-vsctl.off");
  try {
    expect(await errorOf(provider.update(`${H}/${BR}`, outs, inputs({ mtu: 1200 })))).toBe(
      "pve2: Open vSwitch is not installed (no ovs-vsctl). Install it on the node: apt install openvswitch-switch",
    );
  } finally {
    await sh("mv /usr/bin/ovs-vsctl.off /usr/bin/ovs-vsctl");
  }
});

test("while Proxmox has pending changes (interfaces.new), a repair of OVS alone runs; a file edit is refused", async () => {
  forgetOvsState();
  await sh(`ovs-vsctl set interface ${BR} mtu_request=1111; cp /etc/network/interfaces /etc/network/interfaces.new`);
  try {
    const read = (await provider.read(`${H}/${BR}`, outs)).props as Outs;
    expect(read).toMatchObject({ present: false, persisted: true });
    outs = (await provider.update(`${H}/${BR}`, read, inputs({ mtu: outs.mtu }))).outs;
    expect(await mtuInOvs()).toBe(String(outs.mtu));
    expect(await errorOf(provider.update(`${H}/${BR}`, outs, inputs({ mtu: 1234 })))).toMatch(/^pve2: Proxmox has pending network changes in \/etc\/network\/interfaces.new/);
  } finally {
    await sh("rm -f /etc/network/interfaces.new");
  }
});
