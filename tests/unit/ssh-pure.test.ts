// Pure parts of the SSH transport: fingerprint format, redaction, endpoint validation, command builders.
// The upload/readFile commands are run through the local /bin/sh, the same POSIX shell the remote side uses.
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  fingerprintOf,
  fingerprintMatches,
  hostIdOf,
  redact,
  registerSecret,
  resolveEndpoint,
  maxConnectTimeMs,
  uploadCommand,
  readFileCommand,
  octalMode,
} from "../../providers/ssh";
import type { SshEndpoint } from "../../providers/ssh";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pfha-ssh-unit-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fingerprintOf", () => {
  test.each(["ed25519", "rsa", "ecdsa"])("equals what `ssh-keygen -lf` prints for a fresh %s key", (type) => {
    const key = join(dir, `k-${type}`);
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", key]);
    const blob = Buffer.from(readFileSync(`${key}.pub`, "utf8").split(" ")[1], "base64");
    const printed = execFileSync("ssh-keygen", ["-lf", `${key}.pub`], { encoding: "utf8" }).split(" ")[1];
    expect(fingerprintOf(blob)).toBe(printed);
    expect(fingerprintOf(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test("fingerprintMatches accepts only the identical string", () => {
    const fp = fingerprintOf(Buffer.from("a host key"));
    expect(fingerprintMatches(fp, fp)).toBe(true);
    expect(fingerprintMatches(fp, fingerprintOf(Buffer.from("another key")))).toBe(false);
    expect(fingerprintMatches(fp, fp.slice(0, -1))).toBe(false);
  });
});

describe("redact", () => {
  test("removes registered secrets, longest first, and per-call extra secrets", () => {
    registerSecret("hunter2-pass");
    registerSecret("hunter2-pass-and-more");
    expect(redact("a hunter2-pass-and-more b hunter2-pass c")).toBe("a [REDACTED] b [REDACTED] c");
    expect(redact("token=abcd1234", ["abcd1234"])).toBe("token=[REDACTED]");
    expect(redact("token=abcd1234")).toBe("token=abcd1234"); // extra secrets are per call only
  });

  test("ignores values too short to redact safely", () => {
    registerSecret("ab");
    registerSecret("");
    expect(redact("ab cab")).toBe("ab cab");
  });

  test("removes each line of a registered multi-line secret", () => {
    registerSecret("line-one-secret\nline-two-secret");
    expect(redact("got line-two-secret here")).toBe("got [REDACTED] here");
  });

  test("strips anything that looks like a private key, complete or truncated", () => {
    const key = execFileSync("sh", ["-c", `ssh-keygen -q -t ed25519 -N '' -f ${dir}/pem && cat ${dir}/pem`], { encoding: "utf8" }).trim();
    const body = key.split("\n")[1];
    expect(redact(`before ${key} after`)).toBe("before [REDACTED PRIVATE KEY] after");
    expect(redact(`cut: ${key.slice(0, 120)}`)).not.toContain(body.slice(0, 20));
    expect(redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----")).toBe("[REDACTED PRIVATE KEY]");
  });
});

describe("resolveEndpoint", () => {
  const good: SshEndpoint = { host: "10.0.0.1", username: "root", privateKeyPath: "/k", hostKeySha256: fingerprintOf(Buffer.from("k")) };

  test("fills the defaults", () => {
    const ep = resolveEndpoint(good);
    expect([ep.port, ep.connectTimeoutMs, ep.connectRetries]).toEqual([22, 10000, 3]);
    // 4 attempts x 10 s + 250 + 500 + 1000 ms backoff
    expect(maxConnectTimeMs(ep)).toBe(41750);
  });

  test("a missing pin is an error that says how to get one", () => {
    const unpinned = { ...good, hostKeySha256: undefined };
    expect(() => resolveEndpoint(unpinned)).toThrow(/ssh root@10\.0\.0\.1:22: no pinned host key: set hostKeySha256 .*ssh-keygen -lf/);
  });

  test("the loudly named opt-out replaces the pin", () => {
    const unpinned = { ...good, hostKeySha256: undefined };
    expect(resolveEndpoint({ ...unpinned, insecureAcceptAnyHostKey: true }).insecureAcceptAnyHostKey).toBe(true);
  });

  test.each<[string, Partial<SshEndpoint>, RegExp]>([
    ["host", { host: "a b" }, /host: "a b" is not a host name/],
    ["port", { port: 70000 }, /port: 70000 is not a TCP port; use an integer 1-65535/],
    ["username", { username: "ro ot" }, /username: "ro ot" is not a valid user name/],
    ["pin format", { hostKeySha256: "256 SHA256:abc root@x (ED25519)" }, /hostKeySha256 "256 SHA256:abc root@x \(ED25519\)" is not a SHA256 fingerprint/],
    ["connectTimeoutMs", { connectTimeoutMs: 0 }, /connectTimeoutMs 0 is out of range/],
    ["connectRetries", { connectRetries: 1.5 }, /connectRetries 1.5 is out of range/],
    ["auth", { privateKeyPath: undefined }, /no authentication configured; set privateKeyPath/],
  ])("rejects a bad %s naming the value and the fix", (_name, patch, message) => {
    expect(() => resolveEndpoint({ ...good, ...patch })).toThrow(message);
  });

  test("never echoes a secret field in its errors", () => {
    const err = (() => {
      try {
        resolveEndpoint({ ...good, privateKeyPath: undefined, privateKey: "KEYCONTENT-xyz", password: "PASSWORD-xyz", port: 0 });
      } catch (e) {
        return String(e);
      }
      return "";
    })();
    expect(err).toMatch(/port/);
    expect(err).not.toMatch(/KEYCONTENT|PASSWORD-xyz/);
  });
});

describe("upload and readFile commands", () => {
  function sh(command: string, stdin?: Buffer): { code: number | null; stderr: string; stdout: Buffer } {
    const r = spawnSync("/bin/sh", ["-c", command], { input: stdin });
    return { code: r.status, stderr: r.stderr.toString(), stdout: r.stdout };
  }

  test("writes the exact bytes with the mode, through a path that needs quoting", () => {
    const target = join(dir, "it's a $(file) `x`.bin");
    const data = Buffer.from([0, 10, 39, 255, 36, 40]);
    const r = sh(uploadCommand(target, data.length, 0o640, "abc123"), data);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(readFileSync(target)).toEqual(data);
    expect(statSync(target).mode & 0o7777).toBe(0o640);
    expect(sh(readFileCommand(target)).stdout).toEqual(data);
  });

  test("replaces an existing file and leaves no temp file behind", () => {
    const target = join(dir, "replace.txt");
    writeFileSync(target, "old");
    expect(sh(uploadCommand(target, 3, 0o600, "r1"), Buffer.from("new")).code).toBe(0);
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(readdirSync(dir).filter((f) => f.includes("pfha-tmp"))).toEqual([]);
  });

  test("a short write fails, keeps the old file and removes the temp file", () => {
    const target = join(dir, "short.txt");
    writeFileSync(target, "keep");
    const r = sh(uploadCommand(target, 10, 0o644, "s1"), Buffer.from("abc"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/wrote 3 bytes, expected 10/);
    expect(readFileSync(target, "utf8")).toBe("keep");
    expect(readdirSync(dir).filter((f) => f.includes("pfha-tmp"))).toEqual([]);
  });

  test.each(["relative/path", "/etc/", "/etc/../x", "/tmp/a\nb", ""])("rejects the path %j before any host is touched", (p) => {
    expect(() => uploadCommand(p, 1, 0o644, "x")).toThrow(/upload path: .* is not an absolute file path/);
    expect(() => readFileCommand(p)).toThrow(/readFile path: .* is not an absolute file path/);
  });

  test.each([-1, 0o10000, 1.5])("rejects mode %p", (mode) => {
    expect(() => octalMode(mode)).toThrow(/upload mode: .* is not a file mode/);
  });
});

describe("one host identity (per-host batches and the SSH pool)", () => {
  test("address and port name the host; the user and credentials do not", () => {
    expect(hostIdOf({ host: "10.0.0.1" })).toBe("10.0.0.1:22");
    expect(hostIdOf({ host: "10.0.0.1", port: 2222 })).toBe("10.0.0.1:2222");
    const asAdmin: SshEndpoint = { host: "fw1.example", port: 22, username: "admin", password: "x" };
    const asRoot: SshEndpoint = { host: "fw1.example", username: "root", privateKeyPath: "/k" };
    expect(hostIdOf(asAdmin)).toBe("fw1.example:22");
    expect(hostIdOf(asRoot)).toBe("fw1.example:22");
  });
});
