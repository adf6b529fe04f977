// verify's hand checks on the lab (PFHA_LAB_ID): dhcpd's failover state read from the lease file on each firewall
// (the lab runs no dhcpd, so the test writes dhcpd's records), pf states compared between the nodes (the lab's pfctl
// has none: a warning), config-sync freshness from both config.xml revisions.
import * as fs from "fs";
import { loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { verifyCluster } from "../../providers/verify/run";
import type { ClusterConfig } from "../../config/types";
import { ConvergedPair, LAB_SECRETS, labStack } from "../support/ha-lab";

jest.setTimeout(90000);

let inv: LabInventory;
let config: ClusterConfig;
let stackDir = "";
let pair: ConvergedPair;
const LEASES = "/var/dhcpd/var/db/dhcpd.leases";
const record = (my: string, partner: string) =>
  `failover peer "dhcp_lan" state {\n  my state ${my} at 4 2024/05/02 10:11:20;\n  partner state ${partner} at 4 2024/05/02 10:11:20;\n}\n`;

beforeAll(async () => {
  inv = loadInventory();
  ({ config, dir: stackDir } = labStack(inv, "hastatelab"));
  pair = new ConvergedPair(inv, config);
  await pair.up();
});

afterAll(async () => {
  for (const fw of ["fw1", "fw2"]) await labSh(inv, fw, `rm -f ${LEASES}`);
  await closeAllHosts();
  await pair?.down();
  fs.rmSync(stackDir, { recursive: true, force: true });
});

const rows = async (prefix: string) =>
  (await verifyCluster(config, { windowS: 1, secrets: LAB_SECRETS })).checks.filter((c) => c.check.startsWith(prefix)).map((c) => [c.node, c.found, c.status]);

test("no lease file: a warning per firewall, not a failure", async () => {
  for (const fw of ["fw1", "fw2"]) await labSh(inv, fw, `rm -f ${LEASES}`);
  expect(await rows("dhcp failover")).toEqual([
    ["fw1 (primary)", `no ${LEASES}`, "warn"],
    ["fw2 (secondary)", `no ${LEASES}`, "warn"],
  ]);
});

test("dhcpd's last record decides: normal on both passes; the secondary's partner interrupted fails", async () => {
  for (const fw of ["fw1", "fw2"]) await labSh(inv, fw, `mkdir -p /var/dhcpd/var/db && printf '%s\\n' '${record("startup", "unknown-state")}' '${record("normal", "normal")}' > ${LEASES}`);
  expect(await rows("dhcp failover")).toEqual([
    ["fw1 (primary)", "my normal, partner normal", "pass"],
    ["fw2 (secondary)", "my normal, partner normal", "pass"],
  ]);
  await labSh(inv, "fw2", `printf '%s\\n' '${record("communications-interrupted", "normal")}' >> ${LEASES}`);
  expect(await rows("dhcp failover")).toEqual([
    ["fw1 (primary)", "my normal, partner normal", "pass"],
    ["fw2 (secondary)", "my communications-interrupted, partner normal", "fail"],
  ]);
});

test("pf states: the lab's pfctl has none, so the replication check warns; config-sync freshness reads both revisions", async () => {
  expect(await rows("pfsync states replicated")).toEqual([["cluster", "the primary has no states", "warn"]]);
  // a change on the secondary after the primary's last one: the secondary is fresher
  await labSh(inv, "fw2", "php -r 'require_once(\"config.inc\"); $GLOBALS[\"config\"] = parse_config(true); sleep(1); write_config(\"test: a later revision on the secondary\");'");
  const [fresh] = await rows("config sync freshness");
  expect(fresh[2]).toBe("pass");
  expect(fresh[1]).toMatch(/^secondary \d+ s after the primary$/);
});
