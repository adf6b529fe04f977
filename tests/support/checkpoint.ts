// The checkpoint the real Pulumi engine would write for an engine-harness run (tests/support/engine.ts), for secret
// audits. The engine stores every resource's inputs and outputs in plaintext except values marked secret:
// - inputs: the top-level keys that arrived secret-wrapped (annotateSecrets keeps them secret through Check);
// - outputs: the keys of secret inputs (annotateSecrets copies secretness to outputs of the same key) plus the
//   resource's additionalSecretOutputs;
// - stack outputs: secret exports only.
// `__provider` (the serialized provider code) is written in PLAINTEXT here, always: the SDK encrypts it only when
// the closure captured a secret Output, and a provider that captured any secret is exactly the leak this audits
// (the harness's own `state` view wraps it as secret, which is why this helper exists).
import type { EngineRun } from "./engine";

type Props = Record<string, unknown>;

const PROVIDER_KEY = "__provider";
/** What an encrypted value looks like in the checkpoint: the secret signature and opaque ciphertext. */
export const ENCRYPTED = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "<encrypted>" };

export interface CheckpointResource {
  urn: string;
  type: string;
  custom: boolean;
  id?: string;
  inputs: Props;
  outputs: Props;
}

export interface Checkpoint {
  resources: CheckpointResource[];
  stackOutputs: Props;
}

/** additionalSecretOutputs per URN, recorded from the registrations the program sends. */
export type SecretOutputOptions = Record<string, string[]>;

interface RegisterRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getAdditionalsecretoutputsList(): string[];
}
interface MonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequestLike, cb: (err: unknown, resp?: unknown) => void): void;
}

/**
 * Records every registration's additionalSecretOutputs (the harness does not expose them). Call it inside the
 * engine's `program` callback, i.e. after setMocks and the harness's own monitor hook, in the same module registry.
 */
export function recordSecretOutputOptions(): SecretOutputOptions {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor: () => MonitorLike };
  const monitor = settings.getMonitor();
  const forward = monitor.registerResource.bind(monitor);
  const recorded: SecretOutputOptions = {};
  monitor.registerResource = (req, cb) => {
    recorded[monitor.newUrn(req.getParent(), req.getType(), req.getName())] = req.getAdditionalsecretoutputsList();
    forward(req, cb);
  };
  return recorded;
}

function storeAs(props: Props, secretKeys: readonly string[]): Props {
  return Object.fromEntries(
    Object.entries(props).map(([k, v]) => [k, k !== PROVIDER_KEY && secretKeys.includes(k) ? ENCRYPTED : v]),
  );
}

/** The checkpoint of `run`: dynamic resources with their checked inputs and outputs, the others as registered. */
export function checkpointOf(run: EngineRun, secretOutputs: SecretOutputOptions): Checkpoint {
  const resources = run.registrations.map((r): CheckpointResource => {
    const s = run.state.get(r.urn);
    if (!s) return { urn: r.urn, type: r.type, custom: r.custom, inputs: storeAs(r.inputs, r.secretInputs), outputs: {} };
    const outSecrets = [...r.secretInputs, ...(secretOutputs[r.urn] ?? [])];
    return { urn: r.urn, type: r.type, custom: r.custom, id: s.id, inputs: storeAs(s.inputs, r.secretInputs), outputs: storeAs(s.outs, outSecrets) };
  });
  const stackOutputs = Object.fromEntries(Object.entries(run.exports).map(([k, e]) => [k, e.secret ? ENCRYPTED : e.value]));
  return { resources, stackOutputs };
}

/** Which of `secrets` occur in `text` (as written, and JSON-escaped: a key's newlines are \n in a JSON file). */
export function leakedSecrets(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, s]) => text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1)))
    .map(([name]) => name);
}
