// The NIC order of the networks never depends on the key order of the config: the Pulumi CLI hands
// `pfsense-ha:cluster` to the program as JSON with its keys SORTED (Go's encoding/json), while `validate`, `render`
// and `verify` read the YAML as written. Extra networks carry an explicit `nic` index.
import { programConfigValues, validateValues } from "../../config/load";
import { firewallPlanOf } from "../../components/plan";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

type Obj = Record<string, unknown>;

/** JSON the way Go's encoding/json writes a map: keys sorted at every depth. */
function goJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : typeof x === "object" && x !== null ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Obj)[k])])) : x;
  return JSON.stringify(sort(v));
}

/** wan-lan-dmz-sync30 with a second extra network `guest` written BEFORE dmz. */
function twoExtras(nics: { guest?: unknown; dmz?: unknown }): Obj {
  const v = topologyValues("wan-lan-dmz-sync30");
  const c = v["pfsense-ha:cluster"] as { networks: Record<string, Obj>; firewalls: Record<string, { interfaces?: Obj }> };
  const { wan, lan, dmz, sync, ...rest } = c.networks;
  const guest = { bridge: "vmbr9", vxlan: { key: 1999 }, subnet: "10.77.0.0/24", addresses: { primary: "10.77.0.2", secondary: "10.77.0.3" } };
  c.networks = { wan, lan, guest: { ...guest, ...(nics.guest === undefined ? {} : { nic: nics.guest }) }, dmz: { ...dmz, ...(nics.dmz === undefined ? {} : { nic: nics.dmz }) }, sync, ...rest };
  for (const fw of Object.values(c.firewalls)) if (fw.interfaces) fw.interfaces = { ...fw.interfaces, guest: "vtnet4" };
  return v;
}

function asTheCliPassesIt(values: Obj): Obj {
  const all = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : goJson(v)]));
  return programConfigValues(all);
}

function rolesOf(values: Obj): { roles: string[]; ifs: string[] } {
  const r = validateValues(values, TOPOLOGY_DIR);
  if (!r.config) throw new Error(JSON.stringify(r.problems, null, 1));
  return { roles: r.config.networks.map((n) => n.role), ifs: r.config.networks.map((n) => n.pfsenseInterface) };
}

test("with nic indexes, the written YAML and the CLI's sorted JSON give the same NIC order and optN assignment", () => {
  const values = twoExtras({ guest: 4, dmz: 3 });
  const expected = { roles: ["wan", "lan", "sync", "dmz", "guest"], ifs: ["wan", "lan", "opt1", "opt2", "opt3"] };
  expect(rolesOf(values)).toEqual(expected);
  expect(rolesOf(asTheCliPassesIt(values))).toEqual(expected);
  const swapped = twoExtras({ guest: 3, dmz: 4 });
  expect(rolesOf(asTheCliPassesIt(swapped)).roles).toEqual(["wan", "lan", "sync", "guest", "dmz"]);
});

test("the firewall plan (render, the program) is the same for the written and the sorted config", () => {
  const values = twoExtras({ guest: 4, dmz: 3 });
  const plan = (v: Obj) => {
    const r = validateValues(v, TOPOLOGY_DIR);
    if (!r.config) throw new Error("invalid");
    return firewallPlanOf(r.config, r.config.name, "primary");
  };
  expect(plan(asTheCliPassesIt(values))).toEqual(plan(values));
});

test("two extra networks without nic: refused, naming each and the fix", () => {
  const r = validateValues(twoExtras({}), TOPOLOGY_DIR);
  const nicProblems = (r.problems ?? []).filter((p) => p.key.endsWith(".nic"));
  expect(nicProblems.map((p) => p.key).sort()).toEqual(["pfsense-ha:cluster.networks.dmz.nic", "pfsense-ha:cluster.networks.guest.nic"]);
  expect(nicProblems[0].fix).toContain("one of 3..4");
});

test.each([
  [{ guest: 3, dmz: 3 }, "pfsense-ha:cluster.networks.dmz.nic", "is also pfsense-ha:cluster.networks.guest.nic"],
  [{ guest: 5, dmz: 3 }, "pfsense-ha:cluster.networks.guest.nic", "is not a free NIC index"],
  [{ guest: 2, dmz: 3 }, "pfsense-ha:cluster.networks.guest.nic", "is not a free NIC index"],
])("bad nic %j: %s %s", (nics, key, message) => {
  const r = validateValues(twoExtras(nics), TOPOLOGY_DIR);
  expect((r.problems ?? []).filter((p) => p.key.endsWith(".nic")).map((p) => [p.key, p.message])).toEqual([[key, message]]);
});

test("one extra network needs no nic; nic on wan/lan/sync is refused", () => {
  expect(rolesOf(topologyValues("wan-lan-dmz-sync30")).roles).toEqual(["wan", "lan", "sync", "dmz"]);
  const v = topologyValues("wan-lan-dmz-sync30");
  ((v["pfsense-ha:cluster"] as { networks: Record<string, Obj> }).networks.lan).nic = 1;
  expect(validateValues(v, TOPOLOGY_DIR).problems?.map((p) => p.key)).toEqual(["pfsense-ha:cluster.networks.lan.nic"]);
});
