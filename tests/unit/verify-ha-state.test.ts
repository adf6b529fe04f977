// The checks the HA guides do by hand: dhcpd failover state (pfSense's own lease patterns), pfsync replication,
// config-sync freshness, VM sizes. Pure: observations in, checks out.
import { validateValues } from "../../config/load";
import { haStateChecks, haStateExpectationsOf, parseDhcpFailoverStates, stateKeys, type HaStateExpectations } from "../../providers/verify/ha-state";
import type { FirewallObservation, Observations } from "../../providers/verify/observations";
import { firewallProbeScript, parseFirewallProbe } from "../../providers/verify/probe";
import { TOPOLOGY_DIR, topologyValues, setIn } from "../fixtures/topologies";

// dhcpd.leases records as ISC dhcpd writes them (db.c write_failover_state): a startup record, then normal.
const LEASES = [
  'failover peer "dhcp_lan" state {',
  "  my state startup at 4 2024/05/02 10:11:12;",
  "  partner state unknown-state at 4 2024/05/02 10:11:12;",
  "}",
  "--",
  'failover peer "dhcp_lan" state {',
  "  my state normal at 4 2024/05/02 10:11:20;",
  "  partner state normal at 4 2024/05/02 10:11:20;",
  "  mclt 3600;",
  "}",
].join("\n");

const PFCTL_SS = [
  "all tcp 198.51.100.10:443 <- 172.16.10.50:51234       ESTABLISHED:ESTABLISHED",
  "all udp 172.16.10.50:53 -> 198.51.100.1:53       MULTIPLE:SINGLE",
  "all icmp 172.16.10.50:7 -> 198.51.100.1:7       0:0",
].join("\n");

test("dhcpd failover: the last record per peer wins; pfctl -ss keys drop the state column", () => {
  expect(parseDhcpFailoverStates(LEASES)).toEqual([{ peer: "dhcp_lan", my: "normal", partner: "normal" }]);
  expect(parseDhcpFailoverStates(LEASES.replace(/partner state normal/, "partner state communications-interrupted"))).toEqual([{ peer: "dhcp_lan", my: "normal", partner: "communications-interrupted" }]);
  expect(stateKeys(PFCTL_SS)).toEqual(["all tcp 198.51.100.10:443 <- 172.16.10.50:51234", "all udp 172.16.10.50:53 -> 198.51.100.1:53", "all icmp 172.16.10.50:7 -> 198.51.100.1:7"]);
});

const cfg = validateValues(topologyValues("wan-lan-sync"), TOPOLOGY_DIR).config;
if (!cfg) throw new Error("fixture");
const e: HaStateExpectations = haStateExpectationsOf(cfg);

function obs(p: Partial<FirewallObservation>, s: Partial<FirewallObservation>): Observations {
  return { firewalls: { primary: { role: "primary", name: "fw1", ...p }, secondary: { role: "secondary", name: "fw2", ...s } }, nodes: [] };
}
const rows = (o: Observations, x = e) => haStateChecks(x, o).map((c) => [c.check, c.node, c.found, c.status]);

test("expectations: pfSense's failover peer name (dhcp_<if>) and each VM's sizing", () => {
  expect(e.dhcpPeers).toEqual(["dhcp_lan"]);
  expect(e.sizes.primary).toBe(e.sizes.secondary);
});

test("DHCP failover: normal/normal passes, an interrupted partner fails with the ports to check, no lease file warns", () => {
  expect(rows(obs({ dhcpLeases: LEASES }, { dhcpLeases: LEASES.replace(/partner state normal/, "partner state communications-interrupted") })).slice(0, 2)).toEqual([
    ["dhcp failover dhcp_lan", "fw1 (primary)", "my normal, partner normal", "pass"],
    ["dhcp failover dhcp_lan", "fw2 (secondary)", "my normal, partner communications-interrupted", "fail"],
  ]);
  expect(haStateChecks(e, obs({ dhcpLeases: LEASES }, { dhcpLeases: "failover peer \"dhcp_lan\" state {\n  my state recover at 4 2024/05/02 10:11:20;\n  partner state normal at 4 2024/05/02 10:11:20;\n}" }))[1].hint).toMatch(/TCP 519\/520/);
  expect(rows(obs({ dhcpLeases: null }, {})).slice(0, 1)).toEqual([["dhcp failover dhcp_lan", "fw1 (primary)", "no /var/dhcpd/var/db/dhcpd.leases", "warn"]]);
});

test("pfsync: the primary's states on the secondary (80% or more) pass, fewer fail, none to compare warns", () => {
  const keys = stateKeys(PFCTL_SS);
  const pf = (p: string[], s: string[]) => haStateChecks({ ...e, dhcpPeers: [] }, obs({ states: p }, { states: s })).find((c) => c.check === "pfsync states replicated");
  expect(pf(keys, keys)).toMatchObject({ found: "3 of 3", status: "pass" });
  expect(pf(keys, keys.slice(0, 1))).toMatchObject({ found: "1 of 3", status: "fail", hint: expect.stringMatching(/pfsync rule on the sync interface/) });
  expect(pf([], keys)).toMatchObject({ found: "the primary has no states", status: "warn" });
});

test("config sync freshness: the secondary at or after the primary passes; older by more than 60 s warns", () => {
  const fresh = (p: number, s: number) => haStateChecks({ ...e, dhcpPeers: [] }, obs({ config: { maintenanceMode: false, revisionTime: p } }, { config: { maintenanceMode: false, revisionTime: s } })).find((c) => c.check === "config sync freshness");
  expect(fresh(1000, 1003)).toMatchObject({ found: "secondary 3 s after the primary", status: "pass" });
  expect(fresh(1000, 990)).toMatchObject({ found: "secondary 10 s older than the primary", status: "pass" });
  expect(fresh(1000, 900)).toMatchObject({ found: "secondary 100 s older than the primary", status: "warn", hint: expect.stringMatching(/XMLRPC sync did not run/) });
});

test("VM sizes: unequal sizing fails naming both; vm: none is not compared", () => {
  const v = topologyValues("wan-lan-sync");
  setIn(v, "firewalls.secondary.vm.memoryMb", 1024);
  const unequal = validateValues(v, TOPOLOGY_DIR).config;
  if (!unequal) throw new Error("fixture");
  const x = haStateExpectationsOf(unequal);
  expect(haStateChecks(x, obs({}, {})).find((c) => c.check === "VM sizes equal")).toMatchObject({ status: "fail", expected: expect.stringContaining("2048 MB"), found: expect.stringContaining("1024 MB") });
  const none = validateValues(topologyValues("four-node"), TOPOLOGY_DIR).config;
  if (!none) throw new Error("fixture");
  expect(haStateChecks(haStateExpectationsOf(none), obs({}, {})).some((c) => c.check === "VM sizes equal")).toBe(false);
});

test("the probe reads pfctl -ss always and the lease file only with DHCP failover, still one command with config.xml last", () => {
  expect(firewallProbeScript({ xmlrpc: false })).not.toContain("dhcpd.leases");
  const p = firewallProbeScript({ xmlrpc: false, dhcpFailover: true });
  expect(p).toContain("echo '@@pfha states'; /sbin/pfctl -ss 2>/dev/null");
  expect(p).toContain("if [ -f /var/dhcpd/var/db/dhcpd.leases ]; then grep -A4 '^failover peer' /var/dhcpd/var/db/dhcpd.leases; else echo pfha:no-file; fi");
  expect(p.trim().split("\n").pop()).toBe("echo '@@pfha config'; cat /cf/conf/config.xml");
  const out = `@@pfha ifconfig\nlo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n@@pfha states\n${PFCTL_SS}\n@@pfha dhcpd.leases\npfha:no-file\n@@pfha config\n<?xml version="1.0"?>\n<pfsense>\n\t<revision>\n\t\t<time>1714644680</time>\n\t</revision>\n</pfsense>\n`;
  const { observation } = parseFirewallProbe({ role: "primary", name: "fw1" }, out);
  expect(observation).toMatchObject({ states: stateKeys(PFCTL_SS), dhcpLeases: null, config: { revisionTime: 1714644680 } });
});
