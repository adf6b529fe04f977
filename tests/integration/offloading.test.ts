// Hardware checksum offloading on the lab's VirtIO firewalls (vtnetN): written through the write protocol with
// pfSense's write_config (a config revision, no interface re-configure), and verify's check follows the file.
import * as fs from "fs";
import { closeAllHosts } from "../../providers/ssh";
import { loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { verifyCluster } from "../../providers/verify/run";
import type { ClusterConfig } from "../../config/types";
import { ConvergedPair, LAB_SECRETS, labStack } from "../support/ha-lab";
import { reseedFirewalls } from "../support/pfsense-lab";

jest.setTimeout(90000);

let inv: LabInventory;
let config: ClusterConfig;
let stackDir = "";
let pair: ConvergedPair;

beforeAll(async () => {
  inv = loadInventory();
  ({ config, dir: stackDir } = labStack(inv, "offloadlab"));
  pair = new ConvergedPair(inv, config);
  await reseedFirewalls(inv);
  for (const fw of ["fw1", "fw2"]) {
    await labSh(inv, fw, "php -r 'require_once(\"config.inc\"); $c = parse_config(true); unset($c[\"system\"][\"disablechecksumoffloading\"]); $GLOBALS[\"config\"] = $c; write_config(\"test: offloading on\");'");
  }
  await pair.up({ reseed: false });
});

afterAll(async () => {
  await closeAllHosts();
  await pair?.down();
  fs.rmSync(stackDir, { recursive: true, force: true });
});

const offloadingCheck = async () => (await verifyCluster(config, { windowS: 1, secrets: LAB_SECRETS })).checks.filter((c) => c.check === "checksum offloading (VirtIO)");

test("both firewalls get the GUI's flag by write_config, and verify passes on it", async () => {
  for (const fw of ["fw1", "fw2"]) {
    expect(await labSh(inv, fw, "grep -c '^\t\t<disablechecksumoffloading></disablechecksumoffloading>$' /cf/conf/config.xml")).toBe("1\n");
  }
  expect((await offloadingCheck()).map((c) => [c.node, c.found, c.status])).toEqual([
    ["fw1 (primary)", "disabled", "pass"],
    ["fw2 (secondary)", "disabled", "pass"],
  ]);
});

test("a human turning offloading back on is found by verify, and the next converge sets it again", async () => {
  await labSh(inv, "fw2", "php -r 'require_once(\"config.inc\"); $c = parse_config(true); unset($c[\"system\"][\"disablechecksumoffloading\"]); $GLOBALS[\"config\"] = $c; write_config(\"human: offloading on\");'");
  const found = await offloadingCheck();
  expect(found.find((c) => c.node === "fw2 (secondary)")).toMatchObject({ found: "enabled", status: "fail", hint: expect.stringMatching(/Disable hardware checksum offload/) });
  await pair.convergeFirewalls();
  expect((await offloadingCheck()).every((c) => c.status === "pass")).toBe(true);
  expect(await labSh(inv, "fw2", "grep -c '<description><!\\[CDATA\\[(system): pfha: lab pair secondary' /cf/conf/config.xml")).toBe("1\n");
});
