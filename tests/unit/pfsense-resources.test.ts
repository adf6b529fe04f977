// pfSense element providers without a host: check (identity generated once and kept, validation naming field, value
// and fix, previews with unknowns), diff (update vs replace), and the eight components under the engine harness
// (one dynamic child each, parented, dependsOn forwarded, endpoint and password-bearing specs secret, check run
// from the serialized __provider).
import * as pulumi from "@pulumi/pulumi";
import type { EngineRun } from "../support/engine";
import { UNKNOWN, specDrift } from "../../providers/pfsense/resources/element-provider";
import { stableJson } from "../../providers/digest";
import * as dynamic from "../../providers/pfsense/resources/dynamic";

const requireFromString = require("require-from-string") as (code: string) => { handler: () => Provider };

type Props = Record<string, unknown>;
interface Provider {
  check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
}
const as = (p: object): Provider => p as unknown as Provider;

const endpoint = { host: "10.0.0.21", username: "admin", privateKeyPath: "/k", hostKeySha256: "SHA256:abc" };
const SECRET = "carp-Secret-99";

const specs: Record<string, { provider: Provider; spec: Props; identity: (s: Props) => unknown }> = {
  interface: {
    provider: as(dynamic.providerOf("interface")),
    spec: { name: "opt1", device: "vtnet2", descr: "SYNC", enable: true, ipaddr: "10.99.0.1", subnetBits: 24, sync: true },
    identity: (s) => s.name,
  },
  carpVip: {
    provider: as(dynamic.providerOf("carpVip")),
    spec: { interface: "lan", vhid: 10, advskew: 0, advbase: 1, password: SECRET, descr: "LAN VIP", subnet: "192.168.1.1", subnetBits: 24 },
    identity: (s) => s.uniqid,
  },
  haSync: {
    provider: as(dynamic.providerOf("haSync")),
    spec: { pfsyncInterface: "opt1", pfsyncPeerIp: "10.99.0.2", xmlrpc: { synchronizeToIp: "10.99.0.2", username: "admin", password: SECRET } },
    identity: () => "hasync",
  },
  filterRule: {
    provider: as(dynamic.providerOf("filterRule")),
    spec: { type: "pass", interface: "opt1", ipprotocol: "inet", protocol: "pfsync", source: { address: "pfha_sync" }, destination: { network: "(self)" }, descr: "pfsync", position: { top: true } },
    identity: (s) => s.tracker,
  },
  alias: {
    provider: as(dynamic.providerOf("alias")),
    spec: { name: "pfha_sync", type: "host", addresses: ["10.99.0.1", "10.99.0.2"], descr: "sync" },
    identity: (s) => s.name,
  },
  outboundNat: {
    provider: as(dynamic.providerOf("outboundNat")),
    spec: { key: "pfha-nat-lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "203.0.113.10", descr: "LAN" },
    identity: (s) => s.key,
  },
  dhcpFailover: {
    provider: as(dynamic.providerOf("dhcpFailover")),
    spec: { interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], failoverPeerIp: "192.168.1.3", role: "primary", advskew: 0 },
    identity: (s) => s.interface,
  },
  gateway: {
    provider: as(dynamic.providerOf("gateway")),
    spec: { name: "PFHA_WANGW", interface: "wan", gateway: "203.0.113.1", weight: 1, descr: "upstream", defaultGateway: true },
    identity: (s) => s.name,
  },
};

describe("check", () => {
  test.each(Object.keys(specs))("%s: a valid spec passes and the identity is set", async (kind) => {
    const { provider, spec, identity } = specs[kind];
    const c = await provider.check({}, { endpoint, spec });
    expect(c.failures).toEqual([]);
    expect(identity(c.inputs.spec as Props)).toBeTruthy();
  });

  test("CarpVip: uniqid generated once (13 hex) and kept from the old state; a given one is used as is", async () => {
    const p = specs.carpVip.provider;
    const first = await p.check({}, { endpoint, spec: specs.carpVip.spec });
    const uniqid = (first.inputs.spec as Props).uniqid as string;
    expect(uniqid).toMatch(/^[0-9a-f]{13}$/);
    const again = await p.check(first.inputs, { endpoint, spec: { ...specs.carpVip.spec, descr: "new" } });
    expect((again.inputs.spec as Props).uniqid).toBe(uniqid);
    const other = await p.check({}, { endpoint, spec: specs.carpVip.spec });
    expect((other.inputs.spec as Props).uniqid).not.toBe(uniqid);
    const given = await p.check(first.inputs, { endpoint, spec: { ...specs.carpVip.spec, uniqid: "0123456789abc" } });
    expect((given.inputs.spec as Props).uniqid).toBe("0123456789abc");
  });

  test("FirewallRule: tracker generated once (outside pfSense's microtime range) and kept", async () => {
    const p = specs.filterRule.provider;
    const first = await p.check({}, { endpoint, spec: specs.filterRule.spec });
    const tracker = (first.inputs.spec as Props).tracker as string;
    expect(Number(tracker)).toBeGreaterThanOrEqual(3_000_000_000);
    expect(Number(tracker)).toBeLessThan(4_000_000_000);
    expect(((await p.check(first.inputs, { endpoint, spec: specs.filterRule.spec })).inputs.spec as Props).tracker).toBe(tracker);
  });

  test("HaSync: disabled options put in pfSense's order (so a read compares equal)", async () => {
    const x = { ...(specs.haSync.spec.xmlrpc as Props), disabledOptions: ["synchronizenat", "synchronizeusers"] };
    const c = await specs.haSync.provider.check({}, { endpoint, spec: { ...specs.haSync.spec, xmlrpc: x } });
    expect(((c.inputs.spec as Props).xmlrpc as Props).disabledOptions).toEqual(["synchronizeusers", "synchronizenat"]);
  });

  test.each([
    ["interface", { subnetBits: 33 }, /^PfSenseInterface spec\.subnetBits: 33 is invalid; use an integer from 1 to 32$/],
    ["carpVip", { advskew: 255 }, /^CarpVip spec\.advskew: 255 is invalid; use an integer from 0 to 254$/],
    ["carpVip", { subnet: "192.168.1.256" }, /^CarpVip spec\.subnet: "192.168.1.256" is invalid; use a dotted IPv4 address/],
    ["haSync", { pfsyncInterface: "vtnet2" }, /^HaSyncConfig spec\.pfsyncInterface: "vtnet2" is invalid; use a pfSense interface name/],
    ["filterRule", { type: "allow" }, /^FirewallRule spec\.type: "allow" is invalid; use pass, block or reject$/],
    ["filterRule", { position: { afterTracker: "x1" } }, /^FirewallRule spec\.position\.afterTracker: "x1" is invalid; use the tracker of an existing rule$/],
    ["alias", { name: "9bad" }, /^Alias spec\.name: "9bad" is invalid; use 1-31 characters/],
    ["outboundNat", { key: "has space" }, /^OutboundNatRule spec\.key: "has space" is invalid/],
    ["dhcpFailover", { role: "secondary", advskew: 19 }, /^DhcpFailover spec\.advskew: 19 is invalid; the secondary's CARP skew must be 20 or more/],
    ["dhcpFailover", { advskew: 20 }, /^DhcpFailover spec\.advskew: 20 is invalid; the primary's CARP skew must be 19 or less/],
    ["dhcpFailover", { rangeFrom: "192.168.1.200" }, /^DhcpFailover spec\.rangeTo: "192\.168\.1\.199" is invalid; it is below rangeFrom \(192\.168\.1\.200\); swap/],
    ["gateway", { gateway: "203.0.113" }, /^Gateway spec\.gateway: "203\.0\.113" is invalid; use a dotted IPv4 address/],
    ["gateway", { name: "has-dash" }, /^Gateway spec\.name: "has-dash" is invalid; use 1-31 characters from \[A-Za-z0-9_\]/],
  ])("%s: bad spec %j fails naming the field, the value and the fix", async (kind, over, reason) => {
    const c = await specs[kind].provider.check({}, { endpoint, spec: { ...specs[kind].spec, ...over } });
    expect(c.failures).toEqual([{ property: "spec", reason: expect.stringMatching(reason) }]);
  });

  test("secrets are never echoed: an empty CARP password or an XMLRPC password with a newline", async () => {
    const c = await specs.carpVip.provider.check({}, { endpoint, spec: { ...specs.carpVip.spec, password: "" } });
    expect(c.failures[0].reason).toMatch(/^CarpVip spec\.password: \(secret\) is empty/);
    const bad = "sec\nret";
    const h = await specs.haSync.provider.check({}, { endpoint, spec: { ...specs.haSync.spec, xmlrpc: { ...(specs.haSync.spec.xmlrpc as Props), password: bad } } });
    expect(h.failures[0].reason).toMatch(/xmlrpc\.password: \(secret\)/);
    expect(h.failures[0].reason).not.toContain(bad);
  });

  test("HaSync: XMLRPC settings on the secondary are refused; without them the secondary passes", async () => {
    const p = specs.haSync.provider;
    const c = await p.check({}, { endpoint, role: "secondary", spec: specs.haSync.spec });
    expect(c.failures[0].reason).toMatch(/xmlrpc: set on the secondary; XMLRPC sync runs from the primary only/);
    expect((await p.check({}, { endpoint, role: "secondary", spec: { pfsyncInterface: "opt1", pfsyncPeerIp: "10.99.0.1" } })).failures).toEqual([]);
  });

  test("missing endpoint or spec are failures naming them; unknown values (preview) are not validated yet", async () => {
    const p = specs.alias.provider;
    expect((await p.check({}, { spec: specs.alias.spec })).failures).toEqual([{ property: "endpoint", reason: expect.stringMatching(/^endpoint: is missing/) }]);
    expect((await p.check({}, { endpoint, spec: "x" })).failures).toEqual([{ property: "spec", reason: expect.stringMatching(/^spec: "x" is not an object; pass the Alias element spec/) }]);
    expect((await p.check({}, { endpoint, spec: { ...specs.alias.spec, name: UNKNOWN } })).failures).toEqual([]);
    expect((await p.check({}, { endpoint: UNKNOWN, spec: UNKNOWN })).failures).toEqual([]);
  });
});

describe("diff", () => {
  async function stateOf(kind: string): Promise<Props> {
    const c = await specs[kind].provider.check({}, { endpoint, spec: specs[kind].spec });
    return { ...c.inputs, identity: "x", configVersion: "23.3" };
  }

  test("same inputs (outputs aside, key order aside): no changes", async () => {
    const olds = await stateOf("carpVip");
    const news = { spec: Object.fromEntries(Object.entries(olds.spec as Props).reverse()), endpoint: olds.endpoint };
    expect(await specs.carpVip.provider.diff("id", olds, news)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: true });
  });

  test("a changed field is an update; a changed identity or another box a replacement (delete first)", async () => {
    const olds = await stateOf("outboundNat");
    const p = specs.outboundNat.provider;
    const spec = olds.spec as Props;
    expect(await p.diff("id", olds, { endpoint, spec: { ...spec, targetVip: "203.0.113.11" } })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    expect((await p.diff("id", olds, { endpoint, spec: { ...spec, key: "other" } })).replaces).toEqual(["spec"]);
    expect((await p.diff("id", olds, { endpoint: { ...endpoint, host: "10.0.0.22" }, spec })).replaces).toEqual(["endpoint"]);
    expect((await p.diff("id", olds, { endpoint: { ...endpoint, port: 2222 }, spec })).replaces).toEqual(["endpoint"]);
    // new credentials for the same box: update in place
    expect(await p.diff("id", olds, { endpoint: { ...endpoint, privateKeyPath: "/k2" }, spec })).toMatchObject({ changes: true, replaces: [] });
  });

  test("the secondary's skew (+100) differs from a drifted read: update, not replace", async () => {
    const olds = await stateOf("carpVip");
    const spec = olds.spec as Props;
    expect(await specs.carpVip.provider.diff("id", { ...olds, spec: { ...spec, advskew: 50 } }, { endpoint, spec })).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("stableJson / specDrift", () => {
  test("key order and undefined fields do not count; values and array order do", () => {
    expect(stableJson({ a: 1, b: { d: 2, c: 3 }, e: undefined })).toBe('{"a":1,"b":{"c":3,"d":2}}');
    expect(stableJson({ b: { c: 3, d: 2 }, a: 1 })).toBe('{"a":1,"b":{"c":3,"d":2}}');
    expect(stableJson([{ y: 1, x: [2, 1] }])).toBe('[{"x":[2,1],"y":1}]');
    expect(specDrift({ a: 1, b: [1, 2], c: "x" }, { a: 1, b: [2, 1], c: "y" })).toEqual(["b", "c"]);
    expect(specDrift({ a: 1 }, { a: 1, gateway: "gw" })).toEqual(["gateway"]);
  });
});

test("the serialized provider (require-from-string, as Pulumi's host loads it) checks and diffs the same way", async () => {
  const text = (await pulumi.runtime.serializeFunction(() => dynamic.providerOf("carpVip"), { allowSecrets: true })).text;
  const p = requireFromString(text).handler();
  const c = await p.check({}, { endpoint, spec: { ...specs.carpVip.spec, vhid: 0 } });
  expect(c.failures).toEqual([{ property: "spec", reason: "CarpVip spec.vhid: 0 is invalid; use an integer from 1 to 255" }]);
  const ok = await p.check({}, { endpoint, spec: specs.carpVip.spec });
  expect(ok.failures).toEqual([]);
  expect((await p.diff("id", ok.inputs, ok.inputs)).changes).toBe(false);
});

describe("components", () => {
  const names = ["PfSenseInterface", "CarpVip", "HaSyncConfig", "FirewallRule", "Alias", "OutboundNatRule", "DhcpFailover", "Gateway"] as const;
  /** The component of one element on one firewall (CarpVip itself is the VIP on a pair). */
  const classOf = (n: (typeof names)[number]) => (n === "CarpVip" ? "FirewallCarpVip" : n);
  const specOf: Record<(typeof names)[number], Props> = {
    PfSenseInterface: specs.interface.spec,
    CarpVip: specs.carpVip.spec,
    HaSyncConfig: specs.haSync.spec,
    FirewallRule: specs.filterRule.spec,
    Alias: specs.alias.spec,
    OutboundNatRule: specs.outboundNat.spec,
    DhcpFailover: specs.dhcpFailover.spec,
    Gateway: specs.gateway.spec,
  };

  async function preview(build: (m: typeof import("../../components/pfsense")) => void): Promise<EngineRun> {
    let run: EngineRun | undefined;
    await jest.isolateModulesAsync(async () => {
      const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
      run = await runUnderEngine({
        program: () => build(require("../../components/pfsense") as typeof import("../../components/pfsense")),
        project: "pfsense-ha",
        stack: "unit",
        preview: true,
      });
    });
    if (!run) throw new Error("no run");
    return run;
  }

  test("each creates one dynamic child (parented, dependsOn forwarded, endpoint and password specs secret), checked in preview", async () => {
    const run = await preview((m) => {
      // a custom resource: dependsOn on a component stands for its custom children
      class Before extends pulumi.CustomResource {
        constructor() {
          super("test:index:Before", "before", {});
        }
      }
      const before = new Before();
      for (const n of names) {
        const Ctor = m[classOf(n)] as unknown as new (name: string, args: object, opts?: pulumi.ComponentResourceOptions) => pulumi.ComponentResource;
        new Ctor(`c-${n}`, { endpoint, spec: specOf[n] }, { dependsOn: [before] });
      }
    });
    const before = run.registrations.find((r) => r.name === "before")!;
    for (const n of names) {
      const comp = run.registrations.find((r) => r.type === `pfsense-ha:pfsense:${classOf(n)}`)!;
      const kids = run.registrations.filter((r) => r.parent === comp.urn);
      expect(kids).toHaveLength(1);
      expect(kids[0]).toMatchObject({ type: `pulumi-nodejs:dynamic/pfsense-ha:pfsense:${n}:Resource`, name: `c-${n}`, custom: true });
      expect(kids[0].dependencies).toContain(before.urn);
      expect(kids[0].secretInputs).toContain("endpoint");
      if (n === "CarpVip" || n === "HaSyncConfig") expect(kids[0].secretInputs).toContain("spec");
      else expect(kids[0].secretInputs).not.toContain("spec");
    }
    expect(run.operations.filter((o) => o.op === "check")).toHaveLength(names.length);
  });
});
