// examples/library-stack, a program outside this project, against the packed package installed in its folder
// (tests/support/packed-package.ts): it type-checks with the package's declarations, and a preview of it runs
// through Pulumi's real language runtime and dynamic-provider host (tests/support/pulumi-engine.ts), with the
// provider references resolving the installed package. A preview touches no host, so no lab is needed.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadTopology } from "../support/engine-fixtures";
import { buildAndPack, installPacked, ROOT } from "../support/packed-package";
import { TestEngine } from "../support/pulumi-engine";

jest.setTimeout(600000);
const EXAMPLE = path.join(ROOT, "examples", "library-stack");
const PROJECT = "pfsense-ha-library-example";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-example-"));
  for (const f of fs.readdirSync(EXAMPLE)) fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
  installPacked(buildAndPack(dir), dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the example type-checks against the installed package's declarations", () => {
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  expect(execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" })).toBe("");
});

test("a preview of the example: the cluster and the lone CarpVip on the other pair, each resource checked by the installed providers", async () => {
  const t = loadTopology("four-node"); // vm: none: no Proxmox provider plugin needed
  const own = (k: string) => `${PROJECT}:${k}`;
  const pair = {
    primary: { host: "192.0.2.31", username: "root", hostKeySha256: "SHA256:EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE", useAgent: true },
    secondary: { host: "192.0.2.32", username: "root", hostKeySha256: "SHA256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", useAgent: true },
  };
  const config = {
    [own("cluster")]: t.values["pfsense-ha:cluster"],
    [own("carpPassword")]: "carp-example-1",
    [own("xmlrpcPassword")]: "xmlrpc-example-2",
    [own("sshPrivateKey")]: String(t.values["pfsense-ha:sshPrivateKey"]),
    [own("officeCarpPassword")]: "office-example-3",
    [own("otherPair")]: pair,
  };
  const engine = new TestEngine({
    project: PROJECT,
    stack: "dev",
    config,
    secretKeys: [own("carpPassword"), own("xmlrpcPassword"), own("sshPrivateKey"), own("officeCarpPassword")],
    programDir: dir,
    env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
  });
  const r = await engine.preview();
  expect({ ok: r.ok, error: r.error }).toEqual({ ok: true, error: undefined });
  const names = r.steps.map((s) => s.urn.split("::").pop());
  expect(new Set(r.steps.map((s) => s.op))).toEqual(new Set(["create"]));
  expect(names).toEqual(expect.arrayContaining(["office-lan-vip-primary", "office-lan-vip-secondary", "ha-primary-vip-lan-11", "ha-br-lan-pve1-bridge"]));
  const vip = r.steps.find((s) => s.urn.endsWith("::office-lan-vip-secondary"))?.urn;
  expect(vip).toBe(`urn:pulumi:dev::${PROJECT}::pfsense-ha:pfsense:CarpVip$pulumi-nodejs:dynamic/pfsense-ha:pfsense:CarpVip:Resource::office-lan-vip-secondary`);
});
