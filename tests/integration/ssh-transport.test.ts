// The SSH transport against real sshd's in the lab (PFHA_LAB_ID, default 1 for this suite's author): exec, exit
// codes, multi-MB output, stdin, atomic upload, pinned/wrong/missing host keys, unreachable host within the timeout,
// hung commands, one TCP connection for parallel commands (checked from the server side too), secret redaction,
// key-content and ssh-agent auth, and the transport surviving closure serialization into a provider host.
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { join } from "path";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabHost, type LabInventory } from "../../lab/inventory";
import { closeAllHosts, connectHost, maxConnectTimeMs, registerSecret, resolveEndpoint, sshStats } from "../../providers/ssh";
import type { SshEndpoint, SshHost } from "../../providers/ssh";
import { errorOf, waitFor } from "../support/async";

jest.setTimeout(60000);

// Not under /tmp: each lab host has its own /tmp mount, invisible through hostPath().
const DIR = "/var/tmp/pfha-ssh-it";
let inv: LabInventory;
let pve1: LabHost;
let ep: SshEndpoint;

async function onHost(script: string): Promise<string> {
  const r = await labExec(inv, "pve1", script);
  if (r.code !== 0) throw new Error(`labExec ${script}: ${r.code} ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  inv = loadInventory();
  pve1 = inv.hosts.pve1;
  ep = sshEndpointOf(pve1, inv);
  await onHost(`rm -rf ${DIR} && mkdir -p ${DIR}`);
});
afterAll(async () => {
  await closeAllHosts();
});

describe("exec", () => {
  let host: SshHost;
  beforeAll(async () => {
    host = await connectHost(ep);
  });

  test("returns exit code, stdout and stderr separately", async () => {
    await expect(host.exec("echo out; echo err >&2; exit 7")).resolves.toEqual({ code: 7, signal: undefined, stdout: "out\n", stderr: "err\n", timedOut: false });
    await expect(host.exec("true")).resolves.toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  test("run returns stdout, and throws naming the command, exit code and stderr", async () => {
    await expect(host.run("printf %s hello")).resolves.toBe("hello");
    await expect(host.run("ls /nonexistent-pfha")).rejects.toThrow(/ssh root@[\d.]+:22: `ls` exited with code 2: ls: cannot access '\/nonexistent-pfha'/);
  });

  test("5 MB of output arrives intact", async () => {
    const r = await host.exec("head -c 5242880 /dev/zero | tr '\\0' a");
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(5242880);
    expect(r.stdout === "a".repeat(5242880)).toBe(true);
  });

  test("5 MB of random binary read back byte-identical", async () => {
    await onHost(`head -c 5242880 /dev/urandom > ${DIR}/random.bin`);
    const remote = await host.readFile(`${DIR}/random.bin`);
    expect(remote.equals(readFileSync(hostPath(inv, "pve1", `${DIR}/random.bin`)))).toBe(true);
  });

  test("stdin reaches the command, then EOF", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await expect(host.run("wc -c", { stdin: big })).resolves.toMatch(/^\s*3145728\n$/);
    await expect(host.run("cat", { stdin: "line1\nline2" })).resolves.toBe("line1\nline2");
  });

  test("a hung command ends at its timeout with timedOut, and the connection stays usable", async () => {
    const t0 = Date.now();
    const r = await host.exec("sleep 30", { timeoutMs: 500 });
    expect(r).toMatchObject({ timedOut: true, code: 255 });
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(host.run("hostname")).resolves.toBeTruthy();
    await expect(host.run("sleep 30", { timeoutMs: 300 })).rejects.toThrow(/`sleep` timed out after 300 ms/);
  });
});

describe("upload", () => {
  test("writes binary content with the given mode, through a name that needs quoting", async () => {
    const host = await connectHost(ep);
    const path = `${DIR}/it's a "file" $(x).bin`;
    const data = Buffer.from(Array.from({ length: 70000 }, (_, i) => i % 256));
    await host.upload(path, data, 0o640);
    expect(readFileSync(hostPath(inv, "pve1", path)).equals(data)).toBe(true);
    expect((await onHost(`stat -c %a ${DIR}/it*`)).trim()).toBe("640");
    expect((await host.readFile(path)).equals(data)).toBe(true);
  });

  test("replaces by rename (new inode, old content never truncated) and leaves no temp file", async () => {
    const host = await connectHost(ep);
    const path = `${DIR}/replace.conf`;
    await host.upload(path, "old\n", 0o600);
    const inodeAndMode = async () => (await onHost(`stat -c '%i %a' ${path}`)).trim().split(" ");
    const [before] = await inodeAndMode();
    await host.upload(path, "new content\n", 0o644);
    const [after, mode] = await inodeAndMode();
    expect(after).not.toBe(before);
    expect(mode).toBe("644");
    expect(readFileSync(hostPath(inv, "pve1", path), "utf8")).toBe("new content\n");
    expect(await onHost(`ls -A ${DIR} | grep pfha-tmp || true`)).toBe("");
  });

  test("a missing directory fails with a clear error and writes nothing", async () => {
    const host = await connectHost(ep);
    await expect(host.upload(`${DIR}/no-such-dir/x`, "x", 0o644)).rejects.toThrow(/`upload` exited with code 1: .*No such file or directory/);
  });

  test("a bad path is refused before any command runs", async () => {
    const host = await connectHost(ep);
    const before = sshStats().commands;
    await expect(host.upload("relative/x", "x", 0o644)).rejects.toThrow(/upload path: "relative\/x" is not an absolute file path/);
    expect(sshStats().commands).toBe(before);
  });
});

describe("host keys", () => {
  test("the pinned key from the inventory is accepted", async () => {
    expect(ep.hostKeySha256).toMatch(/^SHA256:/);
    const host = await connectHost(ep);
    await expect(host.run("echo pinned-ok")).resolves.toBe("pinned-ok\n");
  });

  test("a wrong pin is rejected naming the expected and the presented fingerprint", async () => {
    const wrong = "SHA256:" + "B".repeat(43);
    const msg = await errorOf(connectHost({ ...ep, hostKeySha256: wrong }));
    expect(msg).toContain(`host key mismatch: expected ${wrong}, got ${ep.hostKeySha256}`);
  });

  test("another lab host's key is rejected (pin belongs to fw1, address is pve1)", async () => {
    const msg = await errorOf(connectHost({ ...ep, hostKeySha256: inv.hosts.fw1.hostKeySha256 }));
    expect(msg).toMatch(/host key mismatch/);
  });

  test("a missing pin is rejected before connecting", async () => {
    const before = sshStats().connections;
    const msg = await errorOf(connectHost({ ...ep, hostKeySha256: undefined }));
    expect(msg).toMatch(/no pinned host key: set hostKeySha256/);
    expect(sshStats().connections).toBe(before);
  });

  test("the explicit opt-out connects and warns loudly once", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const insecure = { ...ep, hostKeySha256: undefined, insecureAcceptAnyHostKey: true };
      await (await connectHost(insecure)).run("true");
      await closeAllHosts();
      await (await connectHost(insecure)).run("true");
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/WARNING: .*insecureAcceptAnyHostKey .*UNVERIFIED host key SHA256:/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("connections", () => {
  test("an unreachable host fails within the configured bound, after retrying", async () => {
    const mgmtPrefix = pve1.address.split(".").slice(0, 3).join(".");
    const dead = { ...ep, host: `${mgmtPrefix}.99`, connectTimeoutMs: 1000, connectRetries: 2 };
    const bound = maxConnectTimeMs(resolveEndpoint(dead)); // 3 x 1000 + 250 + 500
    const t0 = Date.now();
    const msg = await errorOf(connectHost(dead));
    const elapsed = Date.now() - t0;
    expect(msg).toMatch(new RegExp(`ssh root@${mgmtPrefix.replace(/\./g, "\\.")}\\.99:22: could not connect after 3 attempt\\(s\\)`));
    expect(elapsed).toBeGreaterThanOrEqual(750); // the backoff happened
    expect(elapsed).toBeLessThan(bound * 3);
  });

  test("20 parallel commands share one TCP connection, also as seen by the server", async () => {
    const fromOperator = async (): Promise<string[]> =>
      (await onHost("ss -Htn state established '( sport = :22 )'")).split("\n").filter((l) => l.includes(`${inv.operatorAddress}:`));
    await closeAllHosts();
    // the server has seen the earlier tests' connections end (its side of a closed connection goes on briefly)
    await waitFor(async () => (await fromOperator()).length === 0, 10000, 50);
    const before = sshStats();
    const host = await connectHost(ep);
    const again = await connectHost({ ...ep }); // an equal endpoint object gets the pooled host
    expect(again).toBe(host);
    const running = Array.from({ length: 20 }, (_, i) => host.run(`sleep 1; echo ${i}`));
    // while the 20 commands run (each sleeps 1 s): the server sees one connection from us
    let seen: string[] = [];
    await waitFor(async () => (seen = await fromOperator()).length > 0, 10000, 50);
    const outs = await Promise.all(running);
    expect(outs).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(seen).toHaveLength(1);
    const after = sshStats();
    expect(after.connections - before.connections).toBe(1);
    expect(after.commands - before.commands).toBe(20);
  });

  test("a host whose connection was closed reconnects on the next command", async () => {
    const host = await connectHost(ep);
    const before = sshStats().connections;
    await closeAllHosts();
    await expect(host.run("echo back")).resolves.toBe("back\n");
    expect(sshStats().connections).toBe(before + 1);
  });
});

describe("auth and secrets", () => {
  test("a registered secret echoed by a failing command never reaches the error", async () => {
    const secret = "pfha-S3cret-" + Date.now();
    registerSecret(secret);
    const host = await connectHost(ep);
    const msg = await errorOf(host.run(`echo "token=${secret}" >&2; exit 3`));
    expect(msg).toMatch(/exited with code 3: token=\[REDACTED\]/);
    expect(msg).not.toContain(secret);
    const perCall = "per-call-" + Date.now();
    const msg2 = await errorOf(host.run(`echo ${perCall} >&2; false`, { secrets: [perCall] }));
    expect(msg2).not.toContain(perCall);
  });

  test("key content auth works; a wrong key fails as an auth error without printing the key or password", async () => {
    const keyContent = readFileSync(inv.clientKeyPath, "utf8");
    const viaContent = { ...ep, privateKeyPath: undefined, privateKey: keyContent };
    await expect((await connectHost(viaContent)).run("echo content-ok")).resolves.toBe("content-ok\n");

    const other = execFileSync("sh", ["-c", "d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f $d/k && cat $d/k && rm -rf $d"], { encoding: "utf8" });
    const password = "pfha-wrong-password-" + Date.now();
    const t0 = Date.now();
    const msg = await errorOf(connectHost({ ...ep, privateKeyPath: undefined, privateKey: other, password, connectTimeoutMs: 5000 }));
    expect(msg).toMatch(/authentication failed/);
    expect(Date.now() - t0).toBeLessThan(5000); // not retried
    expect(msg).not.toContain(password);
    expect(msg).not.toContain(other.split("\n")[1]);
  });

  test("ssh-agent auth with a real agent", async () => {
    const sock = `/tmp/pfha-ssh-it-agent-${process.pid}.sock`;
    const out = execFileSync("ssh-agent", ["-a", sock, "-s"], { encoding: "utf8" });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      execFileSync("ssh-add", ["-q", inv.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "pipe" });
      process.env.SSH_AUTH_SOCK = sock;
      const host = await connectHost({ ...ep, privateKeyPath: undefined, useAgent: true });
      await expect(host.run("echo agent-ok")).resolves.toBe("agent-ok\n");
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      if (pid > 0) process.kill(pid);
    }
  });
});

describe("inside a serialized dynamic provider", () => {
  // Serialized in a child `node` process (as a Pulumi program runs), not inside jest: under jest's module registry
  // the closure serializer does not finish. Two copies loaded with require-from-string, as the provider host does.
  const SCRIPT = `
    const pulumi = require("@pulumi/pulumi");
    const ssh = require("./providers/ssh");
    const requireFromString = require("require-from-string");
    const endpoint = JSON.parse(process.env.PFHA_SSH_IT_ENDPOINT);
    const provider = {
      async create(inputs) {
        const host = await ssh.connectHost(inputs.endpoint);
        return { id: (await host.run("hostname")).trim(), outs: { connections: ssh.sshStats().connections } };
      },
    };
    (async () => {
      const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
      const a = await requireFromString(text).handler().create({ endpoint });
      const b = await requireFromString(text).handler().create({ endpoint });
      await ssh.closeAllHosts();
      process.stdout.write(JSON.stringify({ ssh2Required: /require\\("ssh2[^"]*"\\)/.test(text), a, b }));
    })().catch((e) => { process.stderr.write(String(e)); process.exit(1); });`;

  test("two re-loaded copies share the process-wide pool and counters", async () => {
    const root = join(__dirname, "..", "..");
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", SCRIPT], {
      cwd: root,
      env: { ...process.env, PFHA_SSH_IT_ENDPOINT: JSON.stringify(ep), NODE_NO_WARNINGS: "1" },
      encoding: "utf8",
      timeout: 50000,
    });
    const r = JSON.parse(out) as { ssh2Required: boolean; a: { id: string; outs: { connections: number } }; b: { id: string; outs: { connections: number } } };
    expect(r.ssh2Required).toBe(true); // ssh2 captured as require(), not by value
    expect(r.a.id).toBe((await onHost("hostname")).trim());
    expect(r.a.outs.connections).toBe(1);
    expect(r.b.outs.connections).toBe(1); // the second copy reused the first copy's connection
  });
});
