// Self-test of the engine harness (tests/support/engine.ts) with a throw-away dynamic provider that writes a file:
// the provider is serialized by Pulumi, loaded back from its text, run in dependency order, and a second run
// with the prior state changes nothing.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as P from "@pulumi/pulumi";
import type { EngineRun } from "../support/engine";

jest.setTimeout(60000);

// Made before the first test, not when the file loads: a run whose filter (-t) skips every test here runs no hook,
// and the afterAll that removes the folder would not run either.
let dir = "";
let log = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-engine-"));
  log = path.join(dir, "ops.log");
});

function program(): Record<string, unknown> {
  // Everything Pulumi is required here so that it is the instance of the current isolated registry.
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  interface FileInputs { path: string; content: string; log: string; after?: string }
  // Local to the program like a real provider module; `require` inside the methods, no live objects captured.
  const provider: P.dynamic.ResourceProvider = {
    async check(_olds: FileInputs, news: FileInputs) {
      if (!news.path.startsWith("/")) return { failures: [{ property: "path", reason: "must be absolute" }] };
      return { inputs: news };
    },
    async diff(_id: string, olds: FileInputs, news: FileInputs) {
      return { changes: olds.content !== news.content || olds.path !== news.path, replaces: olds.path !== news.path ? ["path"] : [] };
    },
    async create(inputs: FileInputs) {
      const nodeFs = require("fs");
      if (inputs.after !== undefined && !nodeFs.existsSync(inputs.after)) throw new Error(`${inputs.after} must exist first`);
      nodeFs.writeFileSync(inputs.path, inputs.content);
      nodeFs.appendFileSync(inputs.log, `create ${inputs.path}\n`);
      return { id: inputs.path, outs: { ...inputs, bytes: inputs.content.length } };
    },
    async update(_id: string, _olds: FileInputs, news: FileInputs) {
      const nodeFs = require("fs");
      nodeFs.writeFileSync(news.path, news.content);
      nodeFs.appendFileSync(news.log, `update ${news.path}\n`);
      return { outs: { ...news, bytes: news.content.length } };
    },
    async delete(id: string, olds: FileInputs) {
      const nodeFs = require("fs");
      nodeFs.rmSync(id, { force: true });
      nodeFs.appendFileSync(olds.log, `delete ${id}\n`);
    },
  };
  class TestFile extends pulumi.dynamic.Resource {
    declare readonly bytes: P.Output<number>;
    declare readonly content: P.Output<string>;
    constructor(name: string, args: { path: string; content: P.Input<string>; log: string; after?: string }, opts?: P.CustomResourceOptions) {
      super(provider, name, { bytes: undefined, ...args }, opts, "test", "File");
    }
  }
  const cfg = new pulumi.Config("harness");
  const token = cfg.requireSecret("token");
  const first = new TestFile("first", { path: path.join(dir, "first"), content: token, log });
  const second = new TestFile("second", { path: path.join(dir, "second"), content: cfg.require("text"), log, after: path.join(dir, "first") }, { dependsOn: [first] });
  return { firstBytes: first.bytes, firstContent: first.content, secondBytes: second.bytes };
}

async function run(prior?: EngineRun["state"], text = "hello"): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    result = await runUnderEngine({
      program,
      project: "harness",
      stack: "test",
      config: { "harness:token": "s3cret-token", "harness:text": text },
      secretConfigKeys: ["harness:token"],
      prior,
    });
  });
  if (!result) throw new Error("no run result");
  return result;
}

afterAll(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
});

test("runs serialized dynamic providers in dependency order, unwraps secrets, keeps outputs secret", async () => {
  const r1 = await run();
  expect(fs.readFileSync(path.join(dir, "first"), "utf8")).toBe("s3cret-token");
  expect(fs.readFileSync(path.join(dir, "second"), "utf8")).toBe("hello");
  expect(fs.readFileSync(log, "utf8")).toBe(`create ${dir}/first\ncreate ${dir}/second\n`);
  expect(r1.operations.map((o) => o.op)).toEqual(["create", "create"]);
  expect(r1.exports.firstBytes).toEqual({ value: 12, secret: false });
  expect(r1.exports.firstContent).toEqual({ value: "s3cret-token", secret: true });
  const second = r1.registrations.find((r) => r.name === "second");
  const first = r1.registrations.find((r) => r.name === "first");
  expect(second?.dependencies).toContain(first?.urn);
  expect(first?.secretInputs).toContain("content");

  // Second run with the prior state: nothing changes, no provider writes.
  const r2 = await run(r1.state);
  expect(r2.operations.map((o) => o.op)).toEqual(["same", "same"]);
  expect(fs.readFileSync(log, "utf8").split("\n").filter(Boolean)).toHaveLength(2);

  // A changed input goes through diff -> update.
  const r3 = await run(r2.state, "changed");
  expect(r3.operations).toEqual(expect.arrayContaining([{ urn: second?.urn, op: "update" }, { urn: first?.urn, op: "same" }]));
  expect(fs.readFileSync(path.join(dir, "second"), "utf8")).toBe("changed");
});
