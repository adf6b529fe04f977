// One pooled SSH host: a lazily (re)opened ssh2 connection shared by every caller in the process, a cap on
// concurrent channels (sshd's MaxSessions defaults to 10), idle close, timeouts, and redacted errors.
import { randomBytes } from "crypto";
import { readFileSync } from "fs";
import { connect as netConnect, type Socket } from "net";
import { messageOf } from "../error-message";
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import { readFileCommand, uploadCommand } from "./commands";
import { BACKOFF_BASE_MS, endpointLabel, type ResolvedEndpoint } from "./endpoint";
import { fingerprintMatches, fingerprintOf } from "./fingerprint";
import { redact, redactedError, registerSecret } from "./redact";
import { sshState, type PooledHost } from "./state";
import type { ExecOptions, ExecResult, SshEndpoint } from "./types";

const MAX_CHANNELS_PER_HOST = 8;
const DEFAULT_EXEC_TIMEOUT_MS = 120000;
/** Close a connection after this long without a command; its socket is unref'd meanwhile, so a CLI can exit. */
const IDLE_CLOSE_MS = 5000;
const MAX_STDERR_IN_ERROR = 2000;

interface Live {
  client: Client;
  sock: Socket;
  closed: boolean;
}

interface RawResult {
  code: number;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/** A connect failure that retrying cannot fix (authentication, host key, bad key file). */
class PermanentConnectError extends Error {
  constructor(message: string) {
    super(message);
    // Set again: after Pulumi's closure serialization a subclass of Error no longer gets it from super()
    this.message = message;
  }
}

// Everything before 'ready' that is not an authentication, host key or key file problem is a network problem
// (refused, unreachable, reset, handshake timeout): those are retried with backoff.
function isRetryable(err: unknown): boolean {
  return !(err instanceof PermanentConnectError);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class SshPooledHost implements PooledHost {
  readonly endpoint: Readonly<SshEndpoint>;
  private readonly ep: ResolvedEndpoint;
  private readonly label: string;
  private live: Promise<Live> | undefined;
  private active: number;
  private readonly waiting: Array<() => void>;
  private idleTimer: NodeJS.Timeout | undefined;

  // Every field is assigned here, not by a field initializer: Pulumi's closure serializer re-creates the class from
  // its constructor and methods and drops initializers (seen: `waiting` undefined inside a serialized provider).
  constructor(ep: ResolvedEndpoint) {
    this.live = undefined;
    this.active = 0;
    this.waiting = [];
    this.idleTimer = undefined;
    this.ep = ep;
    this.endpoint = Object.freeze({ ...ep });
    this.label = endpointLabel(ep);
    registerSecret(ep.privateKey);
    registerSecret(ep.passphrase);
    registerSecret(ep.password);
  }

  /** Open the connection now (connectHost reports connect errors itself rather than at the first command). */
  async ensureConnected(): Promise<void> {
    const live = await this.connection();
    if (this.active === 0) this.becomeIdle(live);
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.execRaw(command, opts);
    return { code: raw.code, signal: raw.signal, stdout: raw.stdout.toString("utf8"), stderr: raw.stderr.toString("utf8"), timedOut: raw.timedOut };
  }

  async run(command: string, opts: ExecOptions = {}): Promise<string> {
    const raw = await this.execRaw(command, opts);
    this.throwUnlessOk(command, raw, opts);
    return raw.stdout.toString("utf8");
  }

  async upload(path: string, content: string | Buffer, mode: number): Promise<void> {
    const data = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const command = uploadCommand(path, data.length, mode, randomBytes(6).toString("hex"));
    sshState().stats.uploads++;
    const raw = await this.execRaw(command, { stdin: data });
    this.throwUnlessOk(`upload ${path}`, raw, {});
  }

  async readFile(path: string): Promise<Buffer> {
    const raw = await this.execRaw(readFileCommand(path), {});
    this.throwUnlessOk(`cat ${path}`, raw, {});
    return raw.stdout;
  }

  async close(): Promise<void> {
    const pending = this.live;
    this.live = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (!pending) return;
    const live = await pending.catch(() => undefined);
    if (!live || live.closed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      t.unref();
      live.client.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      live.client.end();
    });
  }

  private throwUnlessOk(what: string, raw: RawResult, opts: ExecOptions): void {
    if (raw.code === 0 && !raw.timedOut) return;
    const firstWord = what.trim().split(/\s+/)[0] ?? "";
    const stderr = raw.stderr.toString("utf8").trim().slice(0, MAX_STDERR_IN_ERROR);
    const how = raw.timedOut
      ? `timed out after ${opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS} ms`
      : `exited with code ${raw.code}${raw.signal ? ` (signal ${raw.signal})` : ""}`;
    throw redactedError(`${this.label}: \`${firstWord}\` ${how}${stderr ? `: ${stderr}` : ""}`, opts.secrets);
  }

  private async execRaw(command: string, opts: ExecOptions): Promise<RawResult> {
    if (typeof command !== "string" || command.length === 0) throw new Error(`${this.label}: exec: empty command`);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    await this.acquireChannel();
    try {
      const live = await this.connection();
      live.sock.ref(); // busy: keep the process alive until the command ends
      sshState().stats.commands++;
      return await this.runOnChannel(live, command, opts, timeoutMs);
    } finally {
      this.releaseChannel();
    }
  }

  private runOnChannel(live: Live, command: string, opts: ExecOptions, timeoutMs: number): Promise<RawResult> {
    return new Promise<RawResult>((resolve, reject) => {
      live.client.exec(command, (err: Error | undefined, stream: ClientChannel) => {
        if (err) {
          reject(redactedError(`${this.label}: could not open a channel: ${err.message}`, opts.secrets));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | undefined;
        let signal: string | undefined;
        let done = false;
        // Declared before use: Pulumi's closure serializer rejects a closure reading a later `const` ("missing variable").
        let timer: NodeJS.Timeout | undefined = undefined;
        const finish = (timedOut: boolean): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({ code: timedOut || code === undefined ? 255 : code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), timedOut });
        };
        timer = setTimeout(() => {
          // A hung command: ask sshd to kill it, then close our side of the channel.
          try {
            stream.signal("KILL");
          } catch {
            /* the channel may already be closing */
          }
          stream.close();
          finish(true);
        }, timeoutMs);
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errOut.push(d));
        stream.on("exit", (c: number | null, sig?: string) => {
          if (typeof c === "number") code = c;
          if (sig) signal = sig;
        });
        stream.on("close", () => finish(false));
        stream.on("error", () => finish(false));
        if (opts.stdin !== undefined) stream.end(opts.stdin);
        else stream.end();
      });
    });
  }

  private async acquireChannel(): Promise<void> {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (this.active < MAX_CHANNELS_PER_HOST) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseChannel(): void {
    const next = this.waiting.shift();
    if (next) {
      next(); // the slot passes directly to the next waiter
      return;
    }
    this.active--;
    if (this.active === 0 && this.live) {
      this.live.then((live) => this.becomeIdle(live), () => undefined);
    }
  }

  private becomeIdle(live: Live): void {
    if (this.active !== 0 || live.closed) return;
    live.sock.unref();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.active === 0) void this.close();
    }, IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  /** The live connection, reconnecting when the previous one closed (idle close, network loss). */
  private connection(): Promise<Live> {
    if (!this.live) {
      const attempt = this.connectWithRetries();
      this.live = attempt;
      attempt.catch(() => {
        if (this.live === attempt) this.live = undefined; // next call tries again
      });
    }
    return this.live;
  }

  private async connectWithRetries(): Promise<Live> {
    const attempts = this.ep.connectRetries + 1;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(BACKOFF_BASE_MS * 2 ** (i - 1));
      try {
        return await this.connectOnce();
      } catch (err) {
        lastError = err;
        if (!isRetryable(err)) throw redactedError(messageOf(err));
      }
    }
    throw redactedError(
      `${this.label}: could not connect after ${attempts} attempt(s) (connect timeout ${this.ep.connectTimeoutMs} ms each): ` +
        `${messageOf(lastError)}; check that the host is up and reachable and sshd listens on port ${this.ep.port}`,
    );
  }

  private authConfig(): Partial<ConnectConfig> {
    const ep = this.ep;
    const auth: Partial<ConnectConfig> = {};
    if (ep.privateKey) auth.privateKey = ep.privateKey;
    else if (ep.privateKeyPath) {
      try {
        auth.privateKey = readFileSync(ep.privateKeyPath); // read per connect: never at import, never captured
      } catch (err) {
        const code = (err as { code?: string }).code ?? messageOf(err);
        throw new PermanentConnectError(`${this.label}: privateKeyPath ${JSON.stringify(ep.privateKeyPath)} cannot be read (${code}); fix the path or use privateKey / useAgent`);
      }
    }
    if (ep.passphrase) auth.passphrase = ep.passphrase;
    if (ep.useAgent) {
      const sock = process.env.SSH_AUTH_SOCK;
      if (!sock) throw new PermanentConnectError(`${this.label}: useAgent is set but SSH_AUTH_SOCK is empty; start ssh-agent and ssh-add the key, or use privateKeyPath`);
      auth.agent = sock;
    }
    if (ep.password) auth.password = ep.password; // only when explicitly configured
    return auth;
  }

  private hostVerifier(hostKeyProblem: { message?: string }): (key: Buffer) => boolean {
    const ep = this.ep;
    return (key: Buffer) => {
      const presented = fingerprintOf(key);
      if (ep.hostKeySha256 !== undefined) {
        if (fingerprintMatches(ep.hostKeySha256, presented)) return true;
        hostKeyProblem.message =
          `${this.label}: host key mismatch: expected ${ep.hostKeySha256}, got ${presented}; if the host was reinstalled, ` +
          `verify the new key on its console (\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\`) and update hostKeySha256, ` +
          `otherwise someone may be intercepting the connection`;
        return false;
      }
      if (ep.insecureAcceptAnyHostKey === true) {
        const warned = sshState().warnedInsecure;
        if (!warned.has(this.label)) {
          warned.add(this.label);
          console.warn(`WARNING: ${this.label}: insecureAcceptAnyHostKey is set: accepting UNVERIFIED host key ${presented}; pin it with hostKeySha256 (lab use only)`);
        }
        return true;
      }
      hostKeyProblem.message = `${this.label}: no pinned host key (presented ${presented}); set hostKeySha256`;
      return false;
    };
  }

  private connectOnce(): Promise<Live> {
    const ep = this.ep;
    const auth = this.authConfig();
    const hostKeyProblem: { message?: string } = {};
    return new Promise<Live>((resolve, reject) => {
      // ssh2 is loaded at the first connection, not with this module: the program and every check/diff (which never
      // connect) skip its load (about 0.1-0.2 s of CPU per process).
      const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
      const client = new SshClient();
      // Our own socket, so it can be unref'd while idle.
      const sock = netConnect({ host: ep.host, port: ep.port });
      // SSH is request/response: without TCP_NODELAY, Nagle holds small packets back (measured: connect 250 -> ~45 ms,
      // one command 200 -> ~140 ms on the lab).
      sock.setNoDelay(true);
      const live: Live = { client, sock, closed: false };
      let ready = false;
      client.on("ready", () => {
        ready = true;
        sshState().stats.connections++;
        resolve(live);
      });
      client.on("error", (err: Error & { level?: string }) => {
        if (ready) return; // after ready: the 'close' handler below drops the connection
        sock.destroy();
        if (hostKeyProblem.message) reject(new PermanentConnectError(hostKeyProblem.message));
        else if (err.level === "client-authentication") {
          reject(new PermanentConnectError(`${this.label}: authentication failed (server refused the configured ${describeAuth(ep)}); ${authHint(ep)}`));
        } else {
          reject(new Error(err.message));
        }
      });
      client.on("close", () => {
        live.closed = true;
        if (!ready) {
          reject(new Error("connection closed during handshake"));
          return;
        }
        this.live = undefined; // the next command reconnects
      });
      try {
        client.connect({
          sock,
          host: ep.host,
          port: ep.port,
          username: ep.username,
          readyTimeout: ep.connectTimeoutMs,
          keepaliveInterval: 15000,
          hostVerifier: this.hostVerifier(hostKeyProblem),
          ...auth,
        });
      } catch (err) {
        // ssh2 throws synchronously for an unparsable key.
        sock.destroy();
        reject(new PermanentConnectError(`${this.label}: ${redact(messageOf(err))}; check privateKey / privateKeyPath and passphrase`));
      }
    });
  }
}

/** What to check after a refused login: the password when that is the only method, else the key. */
function authHint(ep: SshEndpoint): string {
  const keyed = Boolean(ep.privateKey || ep.privateKeyPath || ep.useAgent);
  return ep.password && !keyed ? "check the username and the password" : "check the username and that the key is in authorized_keys";
}

function describeAuth(ep: SshEndpoint): string {
  const methods: string[] = [];
  if (ep.privateKey || ep.privateKeyPath) methods.push("private key");
  if (ep.useAgent) methods.push("ssh-agent keys");
  if (ep.password) methods.push("password");
  return methods.join(", ");
}

// Exported by list, not `export const`: TypeScript rewrites in-module uses of an `export const` to `exports.X`, which
// Pulumi's closure serializer does not capture (the value arrives undefined in a serialized provider).
export { MAX_CHANNELS_PER_HOST, DEFAULT_EXEC_TIMEOUT_MS, IDLE_CLOSE_MS };
