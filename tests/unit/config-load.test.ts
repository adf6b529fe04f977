// The I/O shell: program config (as pulumi.runtime.allConfig() gives it) and host inventory files.
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

describe("host inventory (pfsense-ha:inventory)", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-inv-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fp = `SHA256:${"k".repeat(43)}`;

  function inventoryStack(file = "hosts.yaml"): Record<string, unknown> {
    const v = topologyValues("two-nic");
    v["pfsense-ha:inventory"] = file;
    setIn(v, "proxmox.nodes.0", { name: "pve1", ssh: { inventory: "pve1" } });
    setIn(v, "firewalls.primary.ssh", { inventory: "fw1" });
    return v;
  }

  it("resolves `ssh: {inventory: NAME}` and a node's underlay address from a YAML file relative to the stack file", () => {
    fs.writeFileSync(
      path.join(dir, "hosts.yaml"),
      [
        "hosts:",
        `  pve1: {host: 10.250.6.11, hostKeySha256: "${fp}", privateKeyPath: /keys/ops, underlayAddress: 10.250.7.11}`,
        `  fw1: {host: 10.250.6.21, port: 2222, username: admin, hostKeySha256: "${fp}", useAgent: true}`,
        "",
      ].join("\n"),
    );
    const r = validateValues(inventoryStack(), dir);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toBeUndefined();
    expect(r.config?.proxmox.nodes[0]).toEqual({
      name: "pve1",
      underlayAddress: "10.250.7.11",
      underlayMtu: 1500,
      ssh: { host: "10.250.6.11", port: 22, username: "root", hostKeySha256: fp, privateKeyPath: "/keys/ops" },
    });
    expect(r.config?.firewalls.primary.ssh).toEqual({ host: "10.250.6.21", port: 2222, username: "admin", hostKeySha256: fp, useAgent: true });
  });

  it("reads JSON too (the lab's hosts.json), with ${NAME:-default} in the path from the environment", () => {
    const saved = process.env.PFHA_TEST_INV;
    fs.mkdirSync(path.join(dir, "lab7"), { recursive: true });
    fs.writeFileSync(
      path.join(dir, "lab7", "hosts.json"),
      JSON.stringify({ hosts: { pve1: { host: "10.250.6.11", port: 22, username: "root", hostKeySha256: fp, privateKeyPath: "/k", underlayAddress: "10.250.7.11" }, fw1: { host: "10.250.6.21", hostKeySha256: fp, privateKeyPath: "/k" } } }),
    );
    try {
      process.env.PFHA_TEST_INV = "7";
      expect(validateValues(inventoryStack("lab${PFHA_TEST_INV:-0}/hosts.json"), dir).problems).toEqual([]);
      delete process.env.PFHA_TEST_INV;
      expect(validateValues(inventoryStack("lab${PFHA_TEST_INV:-0}/hosts.json"), dir).problems.map((p) => [p.key, p.value, p.message])).toEqual([
        ["pfsense-ha:inventory", path.join(dir, "lab0", "hosts.json"), "the host inventory does not exist"],
      ]);
      expect(validateValues(inventoryStack("lab${PFHA_TEST_INV}/hosts.json"), dir).problems.map((p) => [p.key, p.message, p.fix])).toEqual([
        ["pfsense-ha:inventory", "names ${PFHA_TEST_INV}, which is not set in the environment", "set PFHA_TEST_INV, or give it a default in the path: ${PFHA_TEST_INV:-VALUE}"],
      ]);
    } finally {
      if (saved === undefined) delete process.env.PFHA_TEST_INV;
      else process.env.PFHA_TEST_INV = saved;
    }
  });

  it("checks an inventory entry as an ssh block, naming the file and the host", () => {
    const file = path.join(dir, "bad.yaml");
    fs.writeFileSync(file, `hosts:\n  pve1: {host: 10.250.6.11, hostKeySha256: "SHA256:abc=", privateKeyPath: /k, underlayAddress: 10.250.7.11}\n  fw1: {host: 10.250.6.21, hostkey: x, privateKeyPath: /k}\n`);
    const r = validateValues(inventoryStack("bad.yaml"), dir);
    expect(r.problems.map((p) => p.key)).toEqual([`${file} hosts.pve1.hostKeySha256`, `${file} hosts.fw1.hostkey`, `${file} hosts.fw1.hostKeySha256`]);
  });

  it("names a host the inventory does not have, with the hosts it has", () => {
    fs.writeFileSync(path.join(dir, "one.yaml"), `hosts:\n  pve1: {host: 10.250.6.11, hostKeySha256: "${fp}", privateKeyPath: /k, underlayAddress: 10.250.7.11}\n`);
    const r = validateValues(inventoryStack("one.yaml"), dir);
    expect(r.problems.map((p) => [p.key, p.value, p.message, p.fix])).toEqual([
      ["pfsense-ha:cluster.firewalls.primary.ssh.inventory", "fw1", `is not a host in ${path.join(dir, "one.yaml")}`, `use one of: pve1, or add fw1 to ${path.join(dir, "one.yaml")}`],
    ]);
  });

  it("reports a missing or malformed inventory once, not once per host", () => {
    expect(validateValues(inventoryStack(), path.join(dir, "nowhere")).problems.map((p) => [p.key, p.message])).toEqual([
      ["pfsense-ha:inventory", "the host inventory does not exist"],
    ]);
    fs.writeFileSync(path.join(dir, "list.yaml"), "- pve1\n- fw1\n");
    expect(validateValues(inventoryStack("list.yaml"), dir).problems.map((p) => [p.key, p.message])).toEqual([
      ["pfsense-ha:inventory", "is not a host inventory (it needs a `hosts:` mapping)"],
    ]);
  });

  it("a reference without an inventory is a problem naming the field and the fix", () => {
    const v = inventoryStack();
    delete v["pfsense-ha:inventory"];
    const r = validateValues(v, dir);
    expect(r.problems.map((p) => [p.key, p.message])).toEqual([
      ["pfsense-ha:cluster.proxmox.nodes[0].ssh.inventory", "refers to an inventory host but no host inventory is configured"],
      ["pfsense-ha:cluster.firewalls.primary.ssh.inventory", "refers to an inventory host but no host inventory is configured"],
    ]);
    expect(r.problems[0].fix).toContain("set pfsense-ha:inventory to a YAML or JSON file of `hosts: {NAME: {host, port, username, hostKeySha256, privateKeyPath}}`");
  });

  it("still reads the deprecated labInventory and `ssh: {lab: NAME}`, with a warning naming the replacement", () => {
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
    const v = topologyValues("two-nic");
    v["pfsense-ha:labInventory"] = "inventory.json";
    setIn(v, "proxmox.nodes.0", { name: "pve1", ssh: { lab: "pve1" } });
    setIn(v, "firewalls.primary.ssh", { inventory: "fw1" });
    const r = validateValues(v, dir);
    expect(r.problems).toEqual([]);
    expect(r.config?.proxmox.nodes[0].underlayAddress).toBe("10.250.7.11");
    expect(r.config?.firewalls.primary.ssh).toEqual({ host: "10.250.6.21", port: 22, username: "root", hostKeySha256: fp, privateKeyPath: "/state/id_ed25519" });
    expect(r.warnings?.map((w) => [w.key, w.message, w.fix])).toEqual([
      [
        "pfsense-ha:labInventory",
        "is deprecated: hosts come from a host inventory now",
        "set pfsense-ha:inventory to the lab's hosts.json (next to its inventory.json) and write the hosts as `ssh: {inventory: NAME}`",
      ],
      [
        "pfsense-ha:cluster.proxmox.nodes[0].ssh.lab",
        "is deprecated: hosts come from a host inventory now",
        "write pfsense-ha:cluster.proxmox.nodes[0].ssh: {inventory: pve1} and set pfsense-ha:inventory to the inventory file (the lab writes lab/.state/labN/hosts.json)",
      ],
    ]);
    expect(validateValues(v, path.join(dir, "nowhere")).problems.map((p) => [p.key, p.message])).toEqual([
      ["pfsense-ha:labInventory", "the lab inventory does not exist (is the lab up?)"],
    ]);
  });
});
