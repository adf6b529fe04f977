// The engine harness against a lab host: a throw-away dynamic provider that writes a file on pve1 over real SSH
// (ssh2 required inside the methods, host key pinned). Shows that a provider using ssh2 survives serialization and
// that the harness' second run leaves the host alone.
import type * as P from "@pulumi/pulumi";
import type { EngineRun } from "../support/engine";
import { loadInventory, labExec, sshEndpointOf } from "../../lab/inventory";
import type { SshEndpoint } from "../../providers/ssh/types";

jest.setTimeout(60000);
const LAB_ID = Number(process.env.PFHA_LAB_ID ?? 0);
const FILE = "/tmp/pfha-harness-ssh.txt";

interface RemoteFileInputs { endpoint: SshEndpoint; path: string; content: string }

function program(endpoint: SshEndpoint, content: string): () => Record<string, unknown> {
  return () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    // Opens its own connection per call, as the host process would; verifies the pinned host key.
    async function sh(ep: SshEndpoint, script: string, stdin: string): Promise<string> {
      const { Client } = require("ssh2");
      const crypto = require("crypto");
      const fs = require("fs");
      return new Promise((resolve, reject) => {
        const c = new Client();
        c.on("ready", () =>
          c.exec(script, (err: Error | undefined, stream: NodeJS.ReadWriteStream & { on: (e: string, f: (x: Buffer | number) => void) => void; end: (d: string) => void }) => {
            if (err) return reject(err);
            let out = "";
            stream.on("data", (d) => (out += String(d)));
            stream.on("close", (code) => {
              c.end();
              return code === 0 ? resolve(out) : reject(new Error(`remote command exited ${code}`));
            });
            stream.end(stdin);
          }),
        );
        c.on("error", reject);
        c.connect({
          host: ep.host, port: ep.port ?? 22, username: ep.username,
          privateKey: fs.readFileSync(ep.privateKeyPath),
          hostVerifier: (key: Buffer) => `SHA256:${crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}` === ep.hostKeySha256,
        });
      });
    }
    const provider: P.dynamic.ResourceProvider = {
      async check(_o: RemoteFileInputs, news: RemoteFileInputs) {
        return news.path.startsWith("/tmp/") ? { inputs: news } : { failures: [{ property: "path", reason: "must be under /tmp/" }] };
      },
      async diff(_id: string, olds: RemoteFileInputs, news: RemoteFileInputs) {
        return { changes: olds.content !== news.content };
      },
      async create(inputs: RemoteFileInputs) {
        await sh(inputs.endpoint, `cat > '${inputs.path}'`, inputs.content);
        return { id: inputs.path, outs: inputs };
      },
      async update(_id: string, _olds: RemoteFileInputs, news: RemoteFileInputs) {
        await sh(news.endpoint, `cat > '${news.path}'`, news.content);
        return { outs: news };
      },
    };
    class RemoteFile extends pulumi.dynamic.Resource {
      constructor(name: string, args: RemoteFileInputs) {
        super(provider, name, args, {}, "test", "RemoteFile");
      }
    }
    new RemoteFile("remote", { endpoint, path: FILE, content });
    return {};
  };
}

async function run(endpoint: SshEndpoint, content: string, prior?: EngineRun["state"]): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    result = await runUnderEngine({ program: program(endpoint, content), project: "harness", stack: "ssh", prior });
  });
  if (!result) throw new Error("no run");
  return result;
}

test("a serialized ssh2-based provider writes on the lab host; the second run is a no-op", async () => {
  const inv = loadInventory(LAB_ID);
  const endpoint = sshEndpointOf(inv.hosts.pve1, inv);
  await labExec(inv, "pve1", `rm -f ${FILE}`);
  const r1 = await run(endpoint, "first\n");
  expect(r1.operations.map((o) => o.op)).toEqual(["create"]);
  expect((await labExec(inv, "pve1", `cat ${FILE}`)).stdout).toBe("first\n");
  await labExec(inv, "pve1", `touch -d @0 ${FILE}`);
  const r2 = await run(endpoint, "first\n", r1.state);
  expect(r2.operations.map((o) => o.op)).toEqual(["same"]);
  expect((await labExec(inv, "pve1", `stat -c %Y ${FILE}`)).stdout.trim()).toBe("0");
  await labExec(inv, "pve1", `rm -f ${FILE}`);
});
