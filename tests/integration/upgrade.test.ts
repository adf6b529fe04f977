// An existing stack upgrades without replacements: the dev stack is created on the lab by the program as it was
// before the components took their standard type tokens (the source of that commit, built in a temporary folder),
// then the current program runs on the same state through Pulumi's real language runtime and provider host
// (tests/support/pulumi-engine.ts). The components' aliases (components/tokens.ts) carry every resource over to its
// new URN: no create, no delete, no replace.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { labExec, loadInventory } from "../../lab/inventory";
import { reseedFirewalls } from "../support/pfsense-lab";
import { expectOk, ops } from "../support/engine-topology";
import { TestEngine } from "../support/pulumi-engine";

jest.setTimeout(1800000);
const LAB_ID = String(Number(process.env.PFHA_LAB_ID ?? 0));
const ROOT = path.join(__dirname, "..", "..");
/** The last commit with the earlier tokens (pfsense-ha:cluster:PfSenseHaCluster, pfsense-ha:pfsense:<Kind>Component). */
const BEFORE = "c37b8d938309993c1b37e3f017d3d42a4b969631";
const SECRETS = { "pfsense-ha:carpPassword": "upgrade-carp-5", "pfsense-ha:xmlrpcPassword": "upgrade-xmlrpc-6" };

/** The dev stack file as the earlier code had it (`ssh: {lab: NAME}`, which the current code still reads). */
function devConfig(): Record<string, unknown> {
  const doc = parse(execFileSync("git", ["-C", ROOT, "show", `${BEFORE}:Pulumi.dev.yaml`], { encoding: "utf8" })) as { config: Record<string, unknown> };
  // absolute: the earlier program runs from another folder
  return { ...doc.config, ...SECRETS, "pfsense-ha:labInventory": path.join(ROOT, "lab", ".state", `lab${LAB_ID}`, "inventory.json") };
}


let before: string;
beforeAll(async () => {
  before = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-before-"));
  execFileSync("bash", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "archive", ROOT, BEFORE, before]);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(before, "node_modules"));
  execFileSync("npm", ["run", "--silent", "build"], { cwd: before, stdio: "ignore" });
  const inv = loadInventory(Number(LAB_ID));
  await reseedFirewalls(inv); // whatever an earlier file left on the firewalls
  for (const h of ["pve1", "pve2"]) await labExec(inv, h, "for b in vmbr0 vmbr1 vmbr2; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.new /etc/network/interfaces.d/pfsense-ha");
});
afterAll(() => fs.rmSync(before, { recursive: true, force: true }));

test("the dev stack created by the earlier program: the current program changes no resource but their URNs", async () => {
  const common = { stack: "dev", config: devConfig(), secretKeys: Object.keys(SECRETS), env: { PFHA_LAB_ID: LAB_ID } };
  const old = new TestEngine({ ...common, programDir: before });
  const created = await old.up();
  expectOk(created);
  const oldUrns = old.state.resources.map((r) => r.urn);
  expect(oldUrns.filter((u) => u.includes("::pfsense-ha:cluster:PfSenseHaCluster")).length).toBeGreaterThan(30);

  const now = new TestEngine({ ...common, programDir: ROOT });
  now.state = old.state;
  const upgraded = await now.up();
  try {
    expectOk(upgraded);
    const o = ops(upgraded);
    expect({ create: o.create ?? 0, delete: o.delete ?? 0, replace: o.replace ?? 0 }).toEqual({ create: 0, delete: 0, replace: 0 });
    expect((o.same ?? 0) + (o.update ?? 0)).toBe(old.state.resources.filter((r) => r.custom).length);
    const newUrns = now.state.resources.map((r) => r.urn);
    expect(newUrns).toHaveLength(oldUrns.length);
    expect(newUrns.filter((u) => u.includes("pfsense-ha:cluster:") || u.includes("Component$") || u.includes("Component::"))).toEqual([]);
    expect(newUrns).toContain("urn:pulumi:dev::pfsense-ha::pfsense-ha:index:PfSenseHaCluster$pfsense-ha:pfsense:FirewallCarpVip$pulumi-nodejs:dynamic/pfsense-ha:pfsense:CarpVip:Resource::ha-primary-vip-lan-2");
    // and a second run is a no-op
    const again = await now.up();
    expect(ops(again)).toEqual({ same: (o.same ?? 0) + (o.update ?? 0) });
  } finally {
    const d = await now.destroy();
    expectOk(d);
  }
});
