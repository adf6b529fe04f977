// The I/O shell: program config (as pulumi.runtime.allConfig() gives it) and lab inventory files.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterFromProgramConfig, validateValues } from "../../config/load";
import { ConfigValidationError } from "../../config/problems";
import { setIn, topologyValues } from "../fixtures/topologies";

/** allConfig() form: every value a string, objects JSON-encoded. */
function asProgramConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

describe("clusterFromProgramConfig (what index.ts runs before declaring resources)", () => {
  it("returns the typed cluster for a valid stack", () => {
    const c = clusterFromProgramConfig(asProgramConfig(topologyValues("wan-lan-dmz-sync30")), "dev");
    expect(c.name).toBe("edge3");
    expect(c.nat.sources.map((s) => s.cidr)).toEqual(["10.20.0.0/24", "10.30.0.0/24"]);
  });

  it("throws ConfigValidationError listing every problem with the CLI's wording", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "networks.lan.vxlan.key", 0);
    delete v["pfsense-ha:xmlrpcPassword"];
    let err: unknown;
    try {
      clusterFromProgramConfig(asProgramConfig(v), "dev");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const e = err as ConfigValidationError;
    expect(e.problems.map((p) => p.key)).toEqual(["pfsense-ha:cluster.networks.lan.vxlan.key", "pfsense-ha:xmlrpcPassword"]);
    expect(e.message).toMatch(/^Invalid configuration \(2 problems\):\n {2}- pfsense-ha:cluster\.networks\.lan\.vxlan\.key: /);
    expect(e.message).toContain("--stack dev`");
  });
});

describe("lab inventory", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-inv-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function labStack(): Record<string, unknown> {
    const v = topologyValues("two-nic");
    v["pfsense-ha:labInventory"] = "inventory.json";
    setIn(v, "proxmox.nodes.0", { name: "pve1", ssh: { lab: "pve1" } });
    setIn(v, "firewalls.primary.ssh", { lab: "fw1" });
    return v;
  }

  it("resolves lab hosts relative to the stack file's directory", () => {
    const fp = `SHA256:${"k".repeat(43)}`;
    fs.writeFileSync(
      path.join(dir, "inventory.json"),
      JSON.stringify({
        id: 3,
        clientKeyPath: "/state/id_ed25519",
        hosts: {
          pve1: { role: "proxmox", address: "10.250.6.11", port: 22, username: "root", hostKeySha256: fp, underlayAddress: "10.250.7.11" },
          fw1: { role: "pfsense", address: "10.250.6.21", port: 22, username: "root", hostKeySha256: fp },
        },
      }),
    );
    const r = validateValues(labStack(), dir);
    expect(r.problems).toEqual([]);
    expect(r.config?.proxmox.nodes[0].underlayAddress).toBe("10.250.7.11");
    expect(r.config?.firewalls.primary.ssh).toEqual({ host: "10.250.6.21", port: 22, username: "root", hostKeySha256: fp, privateKeyPath: "/state/id_ed25519" });
  });

  it("reports a missing inventory once, not once per lab host", () => {
    const r = validateValues(labStack(), path.join(dir, "nowhere"));
    expect(r.problems.map((p) => [p.key, p.message])).toEqual([["pfsense-ha:labInventory", "the lab inventory does not exist (is the lab up?)"]]);
  });
});
