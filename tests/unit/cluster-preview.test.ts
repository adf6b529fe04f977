// "Preview needs no SSH": index.ts with the dev stack under a preview (the engine harness runs only the dynamic
// providers' check, loaded from their serialized text, as `pulumi preview` does), with every host pointing at a
// loopback listener that counts connection attempts. Nothing may connect.
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import type { EngineRun } from "../support/engine";

const ROOT = path.join(__dirname, "..", "..");

test("previewing the dev stack runs every dynamic resource's check and opens no connection", async () => {
  let connections = 0;
  // One listener per host (validation rightly refuses two firewalls on one endpoint).
  const addresses = { pve1: "127.0.0.11", pve2: "127.0.0.12", fw1: "127.0.0.21", fw2: "127.0.0.22" };
  const servers = await Promise.all(
    Object.values(addresses).map(async (a) => {
      const server = net.createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, a, () => r()));
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-preview-"));
  try {
    const fp = (c: string) => `SHA256:${c.repeat(43)}`;
    const host = (i: number, c: string, underlay?: string) => ({
      host: Object.values(addresses)[i], port: ports[i], username: "root", hostKeySha256: fp(c), privateKeyPath: path.join(dir, "id_ed25519"),
      ...(underlay ? { underlayAddress: underlay } : {}),
    });
    const inventory = path.join(dir, "hosts.json");
    fs.writeFileSync(inventory, JSON.stringify({ hosts: { pve1: host(0, "A", "10.9.9.11"), pve2: host(1, "B", "10.9.9.12"), fw1: host(2, "C"), fw2: host(3, "D") } }));
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, string> = {
      ...Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
      "pfsense-ha:inventory": inventory,
      "pfsense-ha:carpPassword": "preview-carp",
      "pfsense-ha:xmlrpcPassword": "preview-xmlrpc",
    };
    let run: EngineRun | undefined;
    await jest.isolateModulesAsync(async () => {
      const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
      run = await runUnderEngine({
        program: () => require("../../index"),
        project: "pfsense-ha",
        stack: "dev",
        config,
        secretConfigKeys: ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword"],
        preview: true,
      });
    });
    const dynamic = run?.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")) ?? [];
    expect(dynamic.length).toBeGreaterThan(0);
    expect(run?.operations.filter((o) => o.op === "check").length).toBe(dynamic.length);
    expect(run?.operations.every((o) => o.op === "check")).toBe(true);
    expect(connections).toBe(0);
  } finally {
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
