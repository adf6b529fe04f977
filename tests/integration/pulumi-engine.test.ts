// The test engine's own behaviour, with a small program (tests/fixtures/engine-program) run by Pulumi's real Node
// language runtime and its provider run by the real dynamic-provider host. The provider logs each call it gets, so
// these tests see the order of the engine's calls. No lab needed.
import * as fs from "fs";
import * as path from "path";
import { SECRET_SIG, TestEngine, UNKNOWN, type RunResult } from "../support/pulumi-engine";
import { scratchDir } from "../support/scratch";

jest.setTimeout(600000);
const DIR = path.join(__dirname, "..", "fixtures", "engine-program");

type Call = { call: string; name: string; olds?: boolean; news?: Record<string, unknown>; inputs?: Record<string, unknown>; t0?: number; t1?: number };

function setup(extra: Record<string, unknown> = {}) {
  const log = path.join(scratchDir("engine"), "calls.jsonl");
  const config = { "engine-check:case": "chain", "engine-check:log": log, "engine-check:secret": "s3cret-value", ...extra };
  const engine = new TestEngine({ project: "engine-check", stack: "t", config, secretKeys: ["engine-check:secret"], programDir: DIR });
  const calls = (): Call[] => {
    const text = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
    fs.writeFileSync(log, "");
    return text.split("\n").filter((l) => l).map((l) => JSON.parse(l) as Call);
  };
  return { engine, config, calls };
}
const seq = (cs: Call[]) => cs.map((c) => `${c.call} ${c.name}`);
const ops = (r: RunResult) => r.steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`);

test("preview: check only, with unknown inputs from resources not made yet; up: create in dependency order; secrets", async () => {
  const { engine, calls } = setup();
  const p = await engine.preview();
  expect(p.ok).toBe(true);
  const pc = calls();
  expect(pc.map((c) => c.call)).toEqual(["check", "check", "check"]);
  expect(pc.find((c) => c.name === "b")?.news?.value).toBe(UNKNOWN); // a.made is not known in a preview
  const u = await engine.up();
  expect(u.ok).toBe(true);
  const uc = calls();
  expect(seq(uc)).toEqual(["check a", "create a", "check b", "create b", "check c", "create c"]);
  // the host does not accept secrets: the provider saw the plain value; the state marks it secret again
  expect(uc[1].inputs?.secret).toBe("s3cret-value");
  const a = engine.state.resources.find((r) => r.urn.endsWith("::a"))!;
  expect(a.secretKeys).toEqual(["secret"]);
  expect(engine.checkpoint()).not.toContain("s3cret-value");
  expect(JSON.stringify(engine.state.outputs)).toContain(SECRET_SIG);
  const b = engine.state.resources.find((r) => r.urn.endsWith("::b"))!;
  expect(b.inputs.value).toBe("made-a");
});

test("no-op, update, replacements (create-before-delete and delete-before-replace, checked again without olds)", async () => {
  const { engine, config, calls } = setup();
  expect((await engine.up()).ok).toBe(true);
  calls();
  expect(ops(await engine.up())).toEqual(["same a", "same b", "same c"]);
  expect(seq(calls())).toEqual(["check a", "diff a", "check b", "diff b", "check c", "diff c"]);

  expect(ops(await engine.up({ config: { ...config, "engine-check:aValue": "y" } }))).toEqual(["update a", "same b", "same c"]);
  calls();

  const cbd = await engine.up({ config: { ...config, "engine-check:aValue": "y", "engine-check:aKey": "2" } });
  expect(cbd.ok).toBe(true);
  const cc = calls();
  expect(seq(cc)).toEqual(["check a", "diff a", "check a", "create a", "check b", "diff b", "check c", "diff c", "delete a"]);
  expect([cc[0].olds, cc[2].olds]).toEqual([true, false]);

  const dbr = await engine.up({ config: { ...config, "engine-check:aValue": "y", "engine-check:aKey": "3", "engine-check:dbr": true } });
  expect(dbr.ok).toBe(true);
  expect(seq(calls()).slice(0, 5)).toEqual(["check a", "diff a", "check a", "delete a", "create a"]);
});

test("the first failure stops the deployment: nothing after it, no deletes; the next up converges", async () => {
  const { engine, config, calls } = setup({ "engine-check:withGone": true });
  expect((await engine.up()).ok).toBe(true);
  calls();
  const r = await engine.up({ config: { ...config, "engine-check:aValue": "z", "engine-check:failB": true, "engine-check:withGone": false } });
  expect(r.ok).toBe(false);
  expect(r.error).toContain("update of b failed as asked");
  const c = seq(calls());
  expect(c).not.toContain("check c");
  expect(c).not.toContain("delete gone");
  expect(engine.state.resources.some((x) => x.urn.endsWith("::gone"))).toBe(true);
  const ok = await engine.up({ config: { ...config, "engine-check:aValue": "z", "engine-check:withGone": false } });
  expect(ok.ok).toBe(true);
  expect(seq(calls()).slice(-1)).toEqual(["delete gone"]);
});

test("refresh: Read, then a Diff with old and new swapped (drift); an empty id drops the resource", async () => {
  const { engine, calls } = setup({ "engine-check:withGone": true });
  expect((await engine.up()).ok).toBe(true);
  calls();
  const r = await engine.refresh();
  expect(r.ok).toBe(true);
  expect(ops(r).sort()).toEqual(["refresh-drift a", "refresh-drift b", "refresh-drift c", "refresh-gone gone"]);
  const c = seq(calls());
  expect(c.filter((x) => x.endsWith(" a"))).toEqual(["read a", "diff a"]);
  expect(c.filter((x) => x.endsWith(" gone"))).toEqual(["read gone"]);
  expect(engine.state.resources.some((x) => x.urn.endsWith("::gone"))).toBe(false);
});

test("destroy as the engine schedules it: dependents first, the deletes that do not depend on each other at once (a component's dependents before its children)", async () => {
  const { engine, calls } = setup({ "engine-check:case": "fan" });
  expect((await engine.up()).ok).toBe(true);
  calls();
  const r = await engine.destroy();
  expect(r.ok).toBe(true);
  const del = Object.fromEntries(calls().filter((c) => c.call === "delete").map((c) => [c.name, c]));
  expect(Object.keys(del).sort()).toEqual(["a", "b1", "b2", "d"]);
  // d depends on the component `group`, whose child b2 is: d goes first; b1 and b2 overlap; a once both are gone
  expect(del.d.t1!).toBeLessThanOrEqual(del.b2.t0!);
  expect(del.b1.t0!).toBeLessThan(del.b2.t1!);
  expect(del.b2.t0!).toBeLessThan(del.b1.t1!);
  expect(del.a.t0!).toBeGreaterThanOrEqual(Math.max(del.b1.t1!, del.b2.t1!));
  expect(ops(r).slice(-1)).toEqual(["delete engine-check-t"]);
  expect(engine.state.resources).toEqual([]);
});

test("a failed delete: the deletes running beside it finish, no later one starts, the state keeps what is left", async () => {
  const { engine, calls } = setup({ "engine-check:case": "fan", "engine-check:failDeleteB2": true });
  expect((await engine.up()).ok).toBe(true);
  calls();
  const r = await engine.destroy();
  expect(r.ok).toBe(false);
  expect(r.error).toContain("delete of b2 failed as asked");
  expect(seq(calls()).sort()).toEqual(["delete b1", "delete b2", "delete d"]);
  // b1 ran beside b2 (a serial engine, in reverse order, would have stopped at b2 before b1); a never started
  expect(engine.state.resources.filter((x) => x.custom).map((x) => x.urn.split("::").pop())).toEqual(["a", "b2"]);
});

test("refresh reads every resource at once", async () => {
  const { engine, calls } = setup({ "engine-check:case": "fan" });
  expect((await engine.up()).ok).toBe(true);
  calls();
  expect((await engine.refresh()).ok).toBe(true);
  const reads = calls().filter((c) => c.call === "read");
  expect(reads.map((c) => c.name).sort()).toEqual(["a", "b1", "b2", "d"]);
  expect(Math.max(...reads.map((c) => c.t0!))).toBeLessThan(Math.min(...reads.map((c) => c.t1!)));
  await engine.destroy();
});

test("destroy deletes dependents first; a URN registered twice fails the deployment", async () => {
  const { engine, calls } = setup();
  expect((await engine.up()).ok).toBe(true);
  calls();
  expect((await engine.destroy()).ok).toBe(true);
  expect(seq(calls())).toEqual(["delete c", "delete b", "delete a"]);
  const d = setup({ "engine-check:case": "duplicate" });
  const r = await d.engine.up();
  expect(r.ok).toBe(false);
  expect(r.error).toBe("Duplicate resource URN 'urn:pulumi:t::engine-check::pulumi-nodejs:dynamic:Resource::twice'; try giving it a unique name");
});
