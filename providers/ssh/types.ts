// Contract of the SSH transport shared by every provider. Implementation: providers/ssh/*.ts (ssh2).

/** How to reach one host. Plain data: it travels as a dynamic resource input. */
export interface SshEndpoint {
  host: string;
  port?: number; // default 22
  username: string;
  /** Pinned host key fingerprint exactly as `ssh-keygen -lf` prints it: "SHA256:<base64 without padding>". */
  hostKeySha256?: string;
  /** Loudly named lab-only opt-out; never the default. */
  insecureAcceptAnyHostKey?: boolean;
  /** Key auth: a file path, key content (a Pulumi secret upstream), or the ssh-agent at $SSH_AUTH_SOCK. */
  privateKeyPath?: string;
  privateKey?: string;
  passphrase?: string;
  useAgent?: boolean;
  /** Password auth, used only when explicitly configured. */
  password?: string;
  connectTimeoutMs?: number; // default 10000
  connectRetries?: number; // default 3, exponential backoff
}

export interface ExecOptions {
  /** Kill the command (close the channel) after this long; default 120000. */
  timeoutMs?: number;
  /** Data written to the command's stdin, then EOF. */
  stdin?: string | Buffer;
  /** Extra secret values to redact from errors for this call (transport-wide secrets are always redacted). */
  secrets?: string[];
}

export interface ExecResult {
  code: number; // exit code; 255 when killed by a signal or timed out
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Round-trip accounting, used by benchmarks. */
export interface SshStats {
  connections: number;
  commands: number;
  uploads: number;
}

export interface SshHost {
  readonly endpoint: Readonly<SshEndpoint>;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** exec, then throw a redacted error naming the command's first word, exit code and stderr when code != 0. */
  run(command: string, opts?: ExecOptions): Promise<string>;
  /** Atomic write: temp file in the same directory + chmod + rename. */
  upload(path: string, content: string | Buffer, mode: number): Promise<void>;
  readFile(path: string): Promise<Buffer>;
}
