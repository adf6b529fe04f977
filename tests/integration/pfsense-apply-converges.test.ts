// A killed apply converges (lab, pfSense's own PHP; PFHA_PFSENSE_VERSION selects the tree): the install script is
// killed with SIGKILL while pfSense applies one section; the work stays recorded (our pending record + pfSense's own
// dirty-subsystem marker, the GUI's "apply changes" banner), refresh reports it, and the next run applies it.
import { readdirSync, readFileSync, readlinkSync } from "fs";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../../lab/inventory";
import { type SshEndpoint } from "../../providers/ssh";
import { errorOf, waitFor } from "../support/async";
import { changesOf, labRecord, protocolFileHooks } from "../support/pfsense-lab";
import { childrenByTag, ensurePath, kids, leaf, section, setFlag, setValue, valueOf } from "../../providers/pfsense/codec-tree";
import { submitEdit } from "../../providers/pfsense/remote/queue";
import type { ConfigEdit } from "../../providers/pfsense/remote/types";
import { readPendingApply } from "../../providers/pfsense/resources/box";

const FW = "fw1";
let inv: LabInventory;
let ep: SshEndpoint;

async function onFw(script: string): Promise<string> {
  const r = await labExec(inv, FW, script);
  if (r.code !== 0) throw new Error(`fw1: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The pid of the install script's php running inside fw1 (its root is fw1's root, its command line ours). */
function installScriptPid(): number | undefined {
  const root = hostPath(inv, FW, "/").replace(/\/+$/, "");
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (!cmd.includes("zend.exception_ignore_args=1")) continue;
      if (readlinkSync(`/proc/${d}/root`).replace(/\/+$/, "") === root) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function vipEdit(n: number): ConfigEdit {
  const uniqid = `pfhakill${String(n).padStart(5, "0")}`;
  return {
    label: `CarpVip kill-${n}`,
    edit(doc) {
      const list = ensurePath(doc.root, "virtualip");
      if (childrenByTag(list, "vip").some((v) => valueOf(doc, v, "uniqid") === uniqid)) return;
      kids(list).push(
        section("vip", [
          leaf(doc, "mode", "carp"), leaf(doc, "interface", "lan"), leaf(doc, "vhid", String(n)), leaf(doc, "advskew", "0"),
          leaf(doc, "advbase", "1"), leaf(doc, "password", "kill-test-pw"), leaf(doc, "uniqid", uniqid), leaf(doc, "descr", `kill ${n}`),
          leaf(doc, "type", "single"), leaf(doc, "subnet_bits", "24"), leaf(doc, "subnet", `192.168.1.${200 + n}`),
        ]),
      );
    },
  };
}

function aliasEdit(n: number): ConfigEdit {
  const name = `pfha_kill_${n}`;
  return {
    label: `Alias kill-${n}`,
    edit(doc) {
      const list = ensurePath(doc.root, "aliases");
      if (childrenByTag(list, "alias").some((a) => valueOf(doc, a, "name") === name)) return;
      kids(list).push(section("alias", [leaf(doc, "name", name), leaf(doc, "type", "host"), leaf(doc, "address", "192.0.2.1"), leaf(doc, "descr", "kill test")]));
    },
  };
}

/** The LAN's MTU (an interface apply: interface_bring_down() + interface_configure()). */
const mtuEdit: ConfigEdit = { label: "Interface kill-mtu", edit: (doc) => void setValue(doc, ensurePath(doc.root, "interfaces/lan"), "mtu", "1400") };

/** A gateway and a static route through it (System > Routing apply: system_routing_configure()). */
const routeEdit: ConfigEdit = {
  label: "Gateway kill-route",
  edit(doc) {
    const gws = ensurePath(doc.root, "gateways");
    if (!childrenByTag(gws, "gateway_item").some((g) => valueOf(doc, g, "name") === "PFHAKILLGW")) {
      kids(gws).push(section("gateway_item", [
        leaf(doc, "interface", "lan"), leaf(doc, "gateway", "192.168.1.254"), leaf(doc, "name", "PFHAKILLGW"), leaf(doc, "weight", "1"),
        leaf(doc, "ipprotocol", "inet"), leaf(doc, "descr", "kill test"),
      ]));
    }
    const routes = ensurePath(doc.root, "staticroutes");
    if (!childrenByTag(routes, "route").some((r) => valueOf(doc, r, "network") === "198.51.100.0/24")) {
      kids(routes).push(section("route", [leaf(doc, "network", "198.51.100.0/24"), leaf(doc, "gateway", "PFHAKILLGW"), leaf(doc, "descr", "kill test")]));
    }
  },
};

/** pfsync on the LAN towards a peer (interfaces_sync_setup()). */
const pfsyncEdit: ConfigEdit = {
  label: "HaSync kill-pfsync",
  edit(doc) {
    const h = ensurePath(doc.root, "hasync");
    setFlag(h, "pfsyncenabled", true);
    setValue(doc, h, "pfsyncinterface", "lan");
    setValue(doc, h, "pfsyncpeerip", "192.168.1.3");
  },
};

/** The DHCP range on the LAN (services_dhcpd_configure()). */
const rangeEdit: ConfigEdit = { label: "Dhcp kill-range", edit: (doc) => void setValue(doc, ensurePath(doc.root, "dhcpd/lan/range"), "from", "192.168.1.110") };

/** An OpenVPN server on the LAN (openvpn_resync(): config.ovpn, then the daemon). */
const openvpnEdit: ConfigEdit = {
  label: "VpnBinding kill-openvpn",
  edit(doc) {
    const ovpn = ensurePath(doc.root, "openvpn");
    if (childrenByTag(ovpn, "openvpn-server").some((e) => valueOf(doc, e, "vpnid") === "9")) return;
    kids(ovpn).push(section("openvpn-server", [
      leaf(doc, "vpnid", "9"), leaf(doc, "mode", "p2p_shared_key"), leaf(doc, "protocol", "UDP4"), leaf(doc, "dev_mode", "tun"),
      leaf(doc, "interface", "lan"), leaf(doc, "ipaddr", ""), leaf(doc, "local_port", "1199"), leaf(doc, "description", "kill test"),
    ]));
  },
};

beforeAll(() => {
  inv = loadInventory();
  ep = sshEndpointOf(inv.hosts[FW], inv);
});

protocolFileHooks(() => inv, FW, "fw2");

// [section, the edit, the command pfSense runs in that section (slowed down so the kill lands there),
//  pfSense's dirty-subsystem marker the GUI shows for it (none for hasync), a change the completed apply makes]
const CASES: [string, ConfigEdit, string, string | undefined, RegExp][] = [
  ["interfaces", mtuEdit, "arp", "interfaces", /^pfSense_interface_mtu vtnet1 1400$/],
  ["routing", routeEdit, "route", "staticroutes", /^route add -net -inet 198\.51\.100\.0\/24 192\.168\.1\.254$/],
  ["vip", vipEdit(31), "ifconfig", "vip", /^ifconfig vtnet1 192\.168\.1\.231\/24 alias vhid 31$/],
  ["hasync", pfsyncEdit, "ifconfig", undefined, /^ifconfig pfsync0 syncdev vtnet1 syncpeer 192\.168\.1\.3 up$/],
  ["filter", aliasEdit(1), "pfctl", "filter", /^pfctl -o basic -f \/tmp\/rules\.debug$/],
  ["dhcp", rangeEdit, "dhcpd", "dhcpd", /^dhcpd -user dhcpd -group _dhcp -chroot \/var\/dhcpd -cf \/etc\/dhcpd\.conf -pf \/var\/run\/dhcpd\.pid vtnet1$/],
  ["vpn", openvpnEdit, "openvpn", "ipsec", /^openvpn --config \/var\/etc\/openvpn\/server9\/config\.ovpn$/],
];

test.each(CASES)("kill -9 during the %s apply: the work stays pending (refresh sees it), the next run applies it", async (sec, edit, slowCmd, dirty, applied) => {
  const mark = labRecord(inv, FW).length;
  await onFw(`mkdir -p /tmp/pfha-lab-slow && echo 3 > /tmp/pfha-lab-slow/${slowCmd}`);
  const pending = errorOf(submitEdit(ep, edit));
  // pfSense is inside the section: the slowed command has started (recorded on start).
  await waitFor(() => labRecord(inv, FW).slice(mark).some((e) => e.cmd === slowCmd && e.done === undefined), 15000, 50);
  const pid = installScriptPid();
  expect(pid).toBeDefined();
  process.kill(pid as number, "SIGKILL");
  expect(await pending).toMatch(/the install script was killed|was cut or crashed/);
  expect(await pending).toContain("recorded as pending work (/var/run/pfha-apply.json)");
  await onFw("rm -rf /tmp/pfha-lab-slow");

  // config.xml holds the new element; the pending record and pfSense's own marker say it is not applied.
  expect(JSON.parse(await onFw("cat /var/run/pfha-apply.json")).sections).toContain(sec);
  if (dirty !== undefined) expect(await onFw(`cat /var/run/${dirty}.dirty`)).toBe("DIRTY");
  expect((await readPendingApply(ep)).sections).toContain(sec); // what refresh reports as drift

  // The next run: the element is already in config.xml (no install), the pending section is applied.
  const rerun = labRecord(inv, FW).length;
  await submitEdit(ep, edit);
  expect(changesOf(labRecord(inv, FW).slice(rerun)).some((c) => applied.test(c))).toBe(true);
  expect(await onFw("ls /var/run/pfha-apply.json 2>/dev/null || echo gone")).toBe("gone\n");
  if (dirty !== undefined) expect(await onFw(`ls /var/run/${dirty}.dirty 2>/dev/null || echo gone`)).toBe("gone\n");
  expect((await readPendingApply(ep)).sections).toEqual([]);
  // And a further run has nothing left to do.
  const after = labRecord(inv, FW).length;
  await submitEdit(ep, edit);
  expect(changesOf(labRecord(inv, FW).slice(after))).toEqual([]);
});

describe("DHCP failover peer change (services_dhcp.php)", () => {
  function peerEdit(peer: string, gateway: string): ConfigEdit {
    return {
      label: `DhcpFailover peer ${peer}`,
      edit(doc) {
        const lan = ensurePath(doc.root, "dhcpd/lan");
        for (const [tag, v] of [["gateway", gateway], ["failover_peerip", peer]] as const) {
          const el = kids(lan).find((e) => e.tag === tag);
          if (el) el.raw = v;
          else kids(lan).push(leaf(doc, tag, v));
        }
      },
    };
  }
  // A file of the failover database that dhcpd's configuration does not recreate (services.inc touches dhcpd.leases).
  const leases = "/var/dhcpd/var/db/pfha-failover-state";

  test("a new failover_peerip wipes /var/dhcpd/var/db/* as the GUI does; an unchanged peer keeps the database", async () => {
    await onFw(`mkdir -p /var/dhcpd/var/db && echo old-failover-state > ${leases}`);
    await submitEdit(ep, peerEdit("192.168.1.3", "192.168.1.1"));
    expect(await onFw(`cat ${leases} 2>/dev/null || echo wiped`)).toBe("wiped\n");
    await onFw(`echo new-state > ${leases}`);
    await submitEdit(ep, peerEdit("192.168.1.3", "192.168.1.254")); // same peer, other gateway: dhcp applied again
    expect(await onFw(`cat ${leases}`)).toBe("new-state\n");
    await submitEdit(ep, peerEdit("192.168.1.4", "192.168.1.254"));
    expect(await onFw(`cat ${leases} 2>/dev/null || echo wiped`)).toBe("wiped\n");
  });
});

describe("/conf full", () => {
  /**
   * /cf/conf on a tmpfs of `extra` bytes more than config.xml (fw1's mount namespace only), for the test's body.
   * /bin/mount: the lab's `mount` on PATH is the FreeBSD-command recorder.
   */
  async function withFullConf(extra: (size: number) => number, body: () => Promise<void>): Promise<void> {
    const size = Number((await onFw("wc -c < /cf/conf/config.xml")).trim());
    const bytes = Math.ceil((size + extra(size)) / 4096) * 4096;
    await onFw(`cp /cf/conf/config.xml /tmp/pfha-conf-full.xml && /bin/mount -t tmpfs -o size=${bytes} pfha-conf-full /cf/conf && cp /tmp/pfha-conf-full.xml /cf/conf/config.xml && mkdir -p /cf/conf/backup`);
    try {
      await body();
    } finally {
      await onFw("/bin/umount /cf/conf; rm -f /tmp/pfha-conf-full.xml /tmp/config.cache");
    }
  }

  test.each([
    ["the upload itself does not fit", (s: number) => Math.floor(s / 2), /no space left on \/cf\/conf for the new config \(nothing was changed\)/],
    ["the upload fits, the rollback copy would not", (s: number) => s + 8192, /space failed: no space left on \/cf\/conf: \d+ bytes free, \d+ needed \(rollback copy, new config, history copy\); nothing was changed/],
  ] as const)("%s: nothing changed, no partial file left, the error says 'no space'", async (_name, extra, message) => {
    await withFullConf(extra, async () => {
      const before = await onFw("sha256sum /cf/conf/config.xml");
      const err = await errorOf(submitEdit(ep, vipEdit(41)));
      expect(err).toMatch(message);
      expect(await onFw("sha256sum /cf/conf/config.xml")).toBe(before);
      expect(await onFw("ls -a /cf/conf /cf/conf/backup")).not.toMatch(/pfha/);
      expect(await onFw("ls /var/run/pfha-apply.json 2>/dev/null || echo none")).toBe("none\n");
    });
  });
});
