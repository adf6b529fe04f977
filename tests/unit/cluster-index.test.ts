// index.ts end to end under mocks: stack config in, validation first, the contract out as stack outputs.
import type { EngineRun } from "../support/engine";
import { loadTopology } from "../support/engine-fixtures";
import { CONTRACT_OUTPUT_NAMES, parseClusterOutputs } from "../../components/outputs";

/** Stack config the way the CLI hands it to the program: strings, objects as JSON. */
function asProgramConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

async function runIndex(config: Record<string, string>): Promise<{ run?: EngineRun; error?: unknown; registered: number }> {
  let out: { run?: EngineRun; error?: unknown; registered: number } = { registered: 0 };
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    let registered = 0;
    try {
      const run = await runUnderEngine({
        program: () => require("../../index"),
        project: "pfsense-ha",
        stack: "unit",
        config,
        secretConfigKeys: ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword", "pfsense-ha:sshPrivateKey"],
        executeDynamic: false,
        onRegister: () => registered++,
        mockResource: (r) => ({ id: `${r.name}-id`, state: { ...r.inputs, vmId: r.inputs.vmId ?? 4242 } }),
      });
      out = { run, registered };
    } catch (error) {
      out = { error, registered };
    }
  });
  return out;
}

test("valid config: every contract field is a stack output, none secret", async () => {
  const t = loadTopology("wan-lan-sync");
  const { run, error } = await runIndex(asProgramConfig(t.values));
  expect(error).toBeUndefined();
  const exported = run?.exports ?? {};
  expect(Object.keys(exported).sort()).toEqual([...CONTRACT_OUTPUT_NAMES].sort());
  for (const n of CONTRACT_OUTPUT_NAMES) expect(exported[n].secret).toBe(false);
  const c = parseClusterOutputs(Object.fromEntries(CONTRACT_OUTPUT_NAMES.map((n) => [n, exported[n].value])));
  expect(c.gateway).toBe("172.16.10.1");
  expect(c.nodes.map((n) => [n.name, n.vmId])).toEqual([["fw1", 201], ["fw2", 202]]);
  expect(run?.registrations.find((r) => r.type === "pfsense-ha:index:PfSenseHaCluster")?.name).toBe("ha");
  expect(run?.registrations.length).toBeGreaterThan(2);
});

test("invalid cluster: a ResourceError of the cluster component naming the key; nothing is declared below it", async () => {
  const t = loadTopology("wan-lan-sync");
  const cluster = JSON.parse(JSON.stringify(t.values["pfsense-ha:cluster"]));
  cluster.networks.lan.vip.vhid = 300;
  const { run, error, registered } = await runIndex(asProgramConfig({ ...t.values, "pfsense-ha:cluster": cluster }));
  expect(run).toBeUndefined();
  const { ResourceError } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  expect(ResourceError.isInstance(error)).toBe(true);
  expect((error as Error).message).toMatch(/pfsense-ha:cluster\.networks\.lan\.vip\.vhid.*300/);
  expect(((error as InstanceType<typeof ResourceError>).resource as { __name?: string } | undefined)?.__name).toBe("ha");
  expect(registered).toBe(0); // thrown in the component's constructor: no child, nothing reached the engine
});

test("a mistyped stack key: ConfigValidationError with a suggestion, and no resource is declared", async () => {
  const t = loadTopology("wan-lan-sync");
  const { run, error, registered } = await runIndex(asProgramConfig({ ...t.values, "pfsense-ha:carpPasword": "x" }));
  expect(run).toBeUndefined();
  expect((error as Error).name).toBe("ConfigValidationError");
  expect((error as Error).message).toMatch(/pfsense-ha:carpPasword/);
  expect((error as Error).message).toMatch(/carpPassword/);
  expect(registered).toBe(0);
});

test("secrets from stack config (CARP, XMLRPC, SSH key) reach resources only as secret inputs, never the outputs", async () => {
  const t = loadTopology("wan-lan-sync");
  const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key-material\n-----END OPENSSH PRIVATE KEY-----\n";
  const secrets = [String(t.values["pfsense-ha:carpPassword"]), String(t.values["pfsense-ha:xmlrpcPassword"]), "unit-test-key-material"];
  const { run, error } = await runIndex(asProgramConfig({ ...t.values, "pfsense-ha:sshPrivateKey": key }));
  expect(error).toBeUndefined();
  const regs = run?.registrations ?? [];
  const dynamic = regs.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
  const carrying = (s: string) => regs.filter((r) => Object.entries(r.inputs).some(([k, v]) => k !== "__provider" && JSON.stringify(v).includes(s)));
  // every dynamic resource connects over SSH, so each carries the key; the VIPs and the primary's hasync a password
  expect(carrying(secrets[2]).length).toBeGreaterThanOrEqual(dynamic.length);
  expect(carrying(secrets[0]).length).toBeGreaterThan(0);
  expect(carrying(secrets[1]).length).toBeGreaterThan(0);
  for (const r of regs) {
    for (const [k, v] of Object.entries(r.inputs)) {
      if (k === "__provider" || !secrets.some((s) => JSON.stringify(v).includes(s))) continue;
      expect({ resource: r.name, input: k, secret: r.secretInputs.includes(k) }).toEqual({ resource: r.name, input: k, secret: true });
    }
    expect(r.inputs.__provider === undefined || !secrets.some((s) => String(r.inputs.__provider).includes(s))).toBe(true);
  }
  for (const [name, out] of Object.entries(run?.exports ?? {})) expect({ name, leaks: secrets.some((s) => JSON.stringify(out.value).includes(s)) }).toEqual({ name, leaks: false });
});
