// The local lab itself: hosts reachable over SSH with the inventoried host keys, isolation between hosts, the OVS
// underlay carrying VXLAN between the two Proxmox stand-ins, idempotent `up`, `ovs-reset` + `ifup -a` replay, and
// a `down` that leaves nothing and refuses a lab another checkout brought up. The main lab is PFHA_LAB_ID (default
// 0); reset/down run on a scratch lab derived from it (PFHA_LAB_SCRATCH_ID, default PFHA_LAB_ID + 32 modulo 64) so
// they never disturb the lab other test files use, nor another checkout's.
import { execFileSync, spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostPath, labExec, labIdFromEnv, loadInventory, type LabInventory, labSh } from "../../lab/inventory";

jest.setTimeout(120000);

const LAB_SH = path.join(__dirname, "..", "..", "lab", "lab.sh");
const MAIN_ID = labIdFromEnv();
const SCRATCH_ID = Number(process.env.PFHA_LAB_SCRATCH_ID ?? String((MAIN_ID + 32) % 64));
const HOSTS = ["pve1", "pve2", "fw1", "fw2"];

function labCli(id: number, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("bash", [LAB_SH, ...args], { env: { ...process.env, PFHA_LAB_ID: String(id) }, encoding: "utf8" });
  return { code: r.status ?? 255, stdout: r.stdout, stderr: r.stderr };
}

/** Pids of the daemons lab.sh started, read inside each host. */
async function daemonPids(inv: LabInventory): Promise<Record<string, string>> {
  const pids: Record<string, string> = {};
  for (const h of HOSTS) {
    const files = inv.hosts[h].role === "proxmox"
      ? "/run/sshd.pid /run/openvswitch/ovsdb-server.pid /run/openvswitch/ovs-vswitchd.pid"
      : "/run/sshd.pid /run/check_reload_status.pid /run/pfha-webgui.pid";
    pids[h] = (await labSh(inv, h, `cat ${files}`)).trim().replace(/\s+/g, " ");
  }
  return pids;
}

function knownHostsFor(inv: LabInventory, dir: string, keyOf: (h: string) => string): string {
  const file = path.join(dir, "known_hosts");
  writeFileSync(file, HOSTS.map((h) => `${inv.hosts[h].address} ${keyOf(h)}`).join("\n") + "\n");
  return file;
}

function sshRun(inv: LabInventory, host: string, knownHosts: string, command: string) {
  const h = inv.hosts[host];
  return spawnSync("ssh", [
    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "ConnectTimeout=5", "-i", inv.clientKeyPath, "-p", String(h.port), `${h.username}@${h.address}`, command,
  ], { encoding: "utf8" });
}

describe(`lab ${MAIN_ID}`, () => {
  let inv: LabInventory;
  let tmp: string;

  beforeAll(() => {
    const up = labCli(MAIN_ID, "up");
    if (up.code !== 0) throw new Error(`lab.sh up failed: ${up.stderr}`);
    inv = loadInventory(MAIN_ID);
    tmp = mkdtempSync(path.join(tmpdir(), "pfha-lab-test-"));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("inventory follows the addressing plan", () => {
    expect(inv.id).toBe(MAIN_ID);
    expect(inv.operatorAddress).toBe(`10.250.${2 * MAIN_ID}.1`);
    expect(Object.keys(inv.hosts).sort()).toEqual([...HOSTS].sort());
    expect(inv.hosts.pve2.address).toBe(`10.250.${2 * MAIN_ID}.12`);
    expect(inv.hosts.fw1.address).toBe(`10.250.${2 * MAIN_ID}.21`);
    expect(inv.hosts.pve1.underlayAddress).toBe(`10.250.${2 * MAIN_ID + 1}.11`);
    expect(inv.hosts.fw1.underlayAddress).toBeUndefined();
    expect(inv.hosts.fw2.netns).toBe(`pfha${MAIN_ID}-fw2`);
  });

  test("status succeeds and reports every daemon alive", () => {
    const st = labCli(MAIN_ID, "status");
    expect(st.code).toBe(0);
    for (const h of HOSTS) expect(st.stdout).toMatch(new RegExp(`^${h} .*sshd=alive`, "m"));
    expect(st.stdout.match(/ovsdb=alive vswitchd=alive/g)).toHaveLength(2);
  });

  test("every sshd answers with the inventoried host key, and a wrong pinned key is refused", () => {
    const pub = (h: string) => readFileSync(hostPath(inv, h, "/etc/ssh/pfha_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    for (const h of HOSTS) {
      const fp = execFileSync("ssh-keygen", ["-lf", hostPath(inv, h, "/etc/ssh/pfha_host_ed25519_key.pub")], { encoding: "utf8" });
      expect(fp.split(" ")[1]).toBe(inv.hosts[h].hostKeySha256);
    }
    const good = knownHostsFor(inv, tmp, pub);
    for (const h of HOSTS) {
      const r = sshRun(inv, h, good, "cat /etc/ssh/pfha_sshd_config | grep ListenAddress");
      expect(r.stderr).not.toMatch(/WARNING|verification failed/);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(`ListenAddress ${inv.hosts[h].address}`);
    }
    // Each host's key pinned for the next host: strict checking must refuse every connection.
    const rotated = knownHostsFor(inv, mkdtempSync(path.join(tmp, "bad-")), (h) => pub(HOSTS[(HOSTS.indexOf(h) + 1) % HOSTS.length]));
    const bad = sshRun(inv, "fw1", rotated, "true");
    expect(bad.status).toBe(255);
    expect(bad.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|verification failed/);
  });

  test("up again on a running lab is idempotent: same daemons, no duplicated addresses or ports", async () => {
    const before = await daemonPids(inv);
    const again = labCli(MAIN_ID, "up");
    expect(again.code).toBe(0);
    expect(await daemonPids(inv)).toEqual(before);
    expect(loadInventory(MAIN_ID)).toEqual(inv);
    const addrs = await labSh(inv, "pve1", "ip -4 -o addr show | awk '{print $2, $4}'");
    expect(addrs.trim().split("\n").sort()).toEqual(
      ["br-underlay " + inv.hosts.pve1.underlayAddress + "/24", `eth0 ${inv.hosts.pve1.address}/24`, "lo 127.0.0.1/8"].sort(),
    );
    expect((await labSh(inv, "pve1", "ovs-vsctl list-ports br-underlay")).trim()).toBe("eth1");
  });

  test("hosts are isolated: a file in fw1's /tmp or /etc is neither in fw2 nor on the machine; own hostnames", async () => {
    const token = `pfha-iso-${process.pid}-${Date.now()}`;
    await labSh(inv, "fw1", `echo ${token} > /tmp/${token}; echo ${token} > /etc/${token}`);
    expect((await labSh(inv, "fw1", `cat /tmp/${token}`)).trim()).toBe(token);
    const inFw2 = await labExec(inv, "fw2", `ls /tmp/${token} /etc/${token}`);
    expect(inFw2.code).not.toBe(0);
    expect(existsSync(`/tmp/${token}`)).toBe(false);
    expect(existsSync(`/etc/${token}`)).toBe(false);
    expect(existsSync(hostPath(inv, "fw1", `/etc/${token}`))).toBe(true);
    await labSh(inv, "fw1", `rm -f /tmp/${token} /etc/${token}`);
    for (const h of HOSTS) expect((await labSh(inv, h, "hostname")).trim()).toBe(h);
  });

  test("the firewalls have /conf -> /cf/conf with config.xml and share the CARP bus", async () => {
    for (const h of ["fw1", "fw2"]) {
      expect((await labSh(inv, h, "readlink /conf")).trim()).toBe("/cf/conf");
      expect(await labSh(inv, h, "head -c 200 /conf/config.xml")).toMatch(/<pfsense>/);
      expect(existsSync(hostPath(inv, h, "/usr/local/share/pfha-lab/pfsense-factory-config.xml"))).toBe(true);
    }
    const token = `bus-${process.pid}-${Date.now()}`;
    await labSh(inv, "fw1", `echo ${token} > /var/run/pfha-carp/${token}.test`);
    expect((await labSh(inv, "fw2", `cat /var/run/pfha-carp/${token}.test`)).trim()).toBe(token);
    await labSh(inv, "fw2", `rm -f /var/run/pfha-carp/${token}.test`);
  });

  test("the Proxmox stand-ins run OVS with a netdev br-underlay built by ifupdown2 from /etc/network/interfaces", async () => {
    for (const h of ["pve1", "pve2"]) {
      const ifaces = readFileSync(hostPath(inv, h, "/etc/network/interfaces"), "utf8");
      expect(ifaces).toMatch(/iface br-underlay inet static\n\taddress [0-9.]+\/24\n\tovs_type OVSBridge/);
      expect(ifaces).toMatch(/^source \/etc\/network\/interfaces\.d\/\*$/m);
      expect((await labSh(inv, h, "ovs-vsctl get bridge br-underlay datapath_type")).trim()).toBe("netdev");
    }
    await labSh(inv, "pve1", `ping -c 2 -W 2 ${inv.hosts.pve2.underlayAddress}`);
  });

  test("the underlay carries VXLAN between the two Proxmox stand-ins (userspace datapath)", async () => {
    const setup = (self: string, peer: string, ip: string) =>
      labSh(inv, self, [
        "ovs-vsctl -- --may-exist add-br pfhavx -- set bridge pfhavx datapath_type=netdev",
        `ovs-vsctl -- --may-exist add-port pfhavx vxt -- set interface vxt type=vxlan options:remote_ip=${inv.hosts[peer].underlayAddress} options:key=4242`,
        "ovs-vsctl -- --may-exist add-port pfhavx vxin -- set interface vxin type=internal",
        `ip addr replace ${ip}/24 dev vxin`,
        "ip link set vxin up",
      ].join(" && "));
    const cleanup = (h: string) => labExec(inv, h, "ovs-vsctl --if-exists del-br pfhavx");
    try {
      await setup("pve1", "pve2", "192.168.250.1");
      await setup("pve2", "pve1", "192.168.250.2");
      const ping = await labExec(inv, "pve1", "ping -c 3 -W 2 192.168.250.2");
      expect(ping.stdout).toMatch(/[1-3] received/);
      expect(ping.code).toBe(0);
      // Not a shortcut through the mgmt network: the underlay is the only path and the tunnel port saw the packets.
      const stats = await labSh(inv, "pve1", "ovs-ofctl dump-ports pfhavx vxt");
      expect(Number(/tx pkts=(\d+)/.exec(stats)?.[1] ?? "0")).toBeGreaterThanOrEqual(3);
    } finally {
      await cleanup("pve1");
      await cleanup("pve2");
    }
    expect((await labSh(inv, "pve1", "ovs-vsctl list-br")).trim()).toBe("br-underlay");
  });
});

describe(`scratch lab ${SCRATCH_ID}: ovs-reset and down`, () => {
  let inv: LabInventory;

  beforeAll(() => {
    if (SCRATCH_ID === MAIN_ID) throw new Error("PFHA_LAB_SCRATCH_ID must differ from PFHA_LAB_ID");
    const up = labCli(SCRATCH_ID, "up");
    if (up.code !== 0) throw new Error(`lab.sh up (scratch) failed: ${up.stderr}`);
    inv = loadInventory(SCRATCH_ID);
  });
  afterAll(() => {
    labCli(SCRATCH_ID, "down");
  });

  test("ovs-reset empties the OVS database and restarts the daemons; ifup -a rebuilds the underlay", async () => {
    expect((await labSh(inv, "pve2", "ovs-vsctl list-br")).trim()).toBe("br-underlay");
    const before = (await labSh(inv, "pve2", "cat /run/openvswitch/ovs-vswitchd.pid")).trim();
    const reset = labCli(SCRATCH_ID, "ovs-reset", "pve2");
    expect(reset.code).toBe(0);
    expect((await labSh(inv, "pve2", "ovs-vsctl list-br")).trim()).toBe("");
    expect((await labSh(inv, "pve2", "cat /run/openvswitch/ovs-vswitchd.pid")).trim()).not.toBe(before);
    expect(labCli(SCRATCH_ID, "status").code).toBe(0);
    await labSh(inv, "pve2", "ifup -a");
    expect((await labSh(inv, "pve2", "ovs-vsctl list-ports br-underlay")).trim()).toBe("eth1");
    await labSh(inv, "pve2", `ping -c 2 -W 2 ${inv.hosts.pve1.underlayAddress}`);
  });

  test("ovs-reset refuses a pfSense host", () => {
    const r = labCli(SCRATCH_ID, "ovs-reset", "fw1");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not a Proxmox host/);
  });

  test("down refuses a lab another checkout brought up, naming it", () => {
    const owner = `/run/pfha-lab${SCRATCH_ID}.owner`;
    const mine = readFileSync(owner, "utf8");
    writeFileSync(owner, "/elsewhere/lab/.state/lab" + SCRATCH_ID + "\n");
    try {
      const r = labCli(SCRATCH_ID, "down");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`lab ${SCRATCH_ID} was brought up from another checkout (/elsewhere/lab/.state/lab${SCRATCH_ID})`);
      expect(labCli(SCRATCH_ID, "status").code).toBe(0);
    } finally {
      writeFileSync(owner, mine);
    }
  });

  test("down removes namespaces, processes, mounts, the operator veth and the state dir", async () => {
    const pids = Object.values(await daemonPids(inv)).join(" ").split(" ");
    expect(pids.length).toBe(12); // sshd + ovsdb + vswitchd per pve, sshd + check_reload_status + webGUI per fw
    const down = labCli(SCRATCH_ID, "down");
    expect(down.code).toBe(0);
    const prefix = `pfha${SCRATCH_ID}-`;
    const netns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    expect(netns.split("\n").filter((l) => l.startsWith(prefix))).toEqual([]);
    for (const pid of pids) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
      expect(stat === "" || / Z /.test(stat)).toBe(true); // gone, or a zombie awaiting the machine's init
    }
    const mounts = readFileSync("/proc/self/mountinfo", "utf8");
    expect(mounts).not.toContain(inv.stateDir);
    for (const h of HOSTS) {
      expect(mounts).not.toContain(inv.hosts[h].rootDir);
      expect(existsSync(inv.hosts[h].rootDir)).toBe(false);
    }
    expect(spawnSync("ip", ["link", "show", `pfha${SCRATCH_ID}-op`]).status).not.toBe(0);
    expect(existsSync(inv.stateDir)).toBe(false);
    expect(labCli(SCRATCH_ID, "status").code).not.toBe(0);
    expect(() => loadInventory(SCRATCH_ID)).toThrow(`lab ${SCRATCH_ID} is not up: run \`PFHA_LAB_ID=${SCRATCH_ID} npm run lab -- up\``);
  });
});
