// What one pfSense element kind is, in one place: its spec's checks, its identity, its config.xml mapping (write,
// read, remove), what pfSense's XMLRPC sync writes on the secondary, the apply section pfSense re-runs after an
// edit, and the names its resource and component are registered under. Every kind is one file in this directory
// ending in its descriptor, and one line in kinds.ts (the registry of kinds); the generic provider
// (resources/element-provider.ts), the generic resource and component, the cluster's plan and stages, `render` and
// the provider registry iterate it. Pure: no I/O (the provider does the I/O a descriptor asks for, e.g. `peer`).
import type { PfConfigDoc } from "../codec";
import type { PfSchema } from "../version";
import type { ApplySection } from "../remote/types";
import type { SshEndpoint } from "../../ssh/types";
import type { EditResult } from "./common";

export type NodeRole = "primary" | "secondary";

/** Inputs every element resource has: where, the version override, the element spec (+ the peer for `peer` kinds). */
export interface ElementInputs<S> {
  endpoint: SshEndpoint;
  allowUnknownVersion?: boolean;
  spec: S;
  /** `peer` kinds: the other firewall, whose config <version> must equal this one's before a write. */
  peerEndpoint?: SshEndpoint;
  /** `peer` kinds: which firewall of the pair this one is. */
  role?: NodeRole;
}

/**
 * One element kind. `S` is its spec; `X` the extra fields its plan item carries for the secondary's mirror (e.g.
 * the primary's own address, which the secondary names as its peer).
 */
export interface ElementDescriptor<S extends object = object, X extends object = object> {
  /** The resource's name: ids (`<resource>:<identity>`), labels, type token `pulumi-nodejs:dynamic/pfsense-ha:pfsense:<resource>:Resource`. Never change it: it is in every URN. */
  resource: string;
  /** The name of its dynamic provider in providers/registry.ts: part of every resource's serialized `__provider`. Never change it. */
  provider: string;
  /** The component that wraps one resource of the kind: type token `pfsense-ha:pfsense:<name>`, earlier tokens as aliases. */
  component: { name: string; previous: readonly string[] };
  /** What pfSense re-applies after an edit of the element (remote/types.ts); the cluster's stage follows from it. */
  section: ApplySection;
  /** The whole spec is a Pulumi secret (it holds a password). */
  secretSpec: boolean;
  /** The resource also takes the other firewall (`peerEndpoint`, `role`); create/update first check both report the same config version. */
  peer?: true;
  /** Within the cluster's stage: waits for the earlier elements of the stage that are `awaited` (same host, arrival order). */
  waitsInStage?: true;
  /** Within the cluster's stage: later elements that `waitsInStage` wait for this one. */
  awaitedInStage?: true;

  /** Fill generated identity and defaults; keeps the identity from `old` (the previous spec) so it is generated once. */
  normalize(old: Partial<S> | undefined, spec: S): S;
  /** The element's identity on the box (uniqid, tracker, name, marker key). */
  identity(spec: S): string;
  /** Input checks that need no host; throw naming the field, the bad value and the fix. */
  validate(spec: S, inputs: ElementInputs<S>): void;
  /** Writes the element (idempotent); the diff lines never show a secret. */
  upsert(doc: PfConfigDoc, spec: S, schema: PfSchema): EditResult;
  remove(doc: PfConfigDoc, spec: S, schema: PfSchema): void;
  /** Our element as found (same shape as `spec`), or undefined when it is not there. */
  read(doc: PfConfigDoc, spec: S, schema: PfSchema): S | undefined;
  /**
   * For refresh only, when `read` found nothing: our element still there in part (a human switched a piece of it
   * off), as a spec that differs from the desired one. Refresh then shows drift and the next `up` repairs it in
   * place; without this the element would read as gone, leave the state and be created again.
   */
  partial?(doc: PfConfigDoc, spec: S, schema: PfSchema): S | undefined;
  /** Secret values in the spec (registered for redaction). */
  secrets(spec: S): string[];
  /** True when delete leaves the element in place (wan/lan are never unassigned): nothing is written. */
  keptOnDelete?(spec: S): boolean;
  /** What pfSense's XMLRPC sync writes on the secondary, given the primary's item; absent: the item as is. */
  mirror?(item: { spec: S } & X): { spec: S } & X;
}

/** A descriptor of any kind (the registry's element type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyElementDescriptor = ElementDescriptor<any, any>;

/** The plan item of a kind: `kind` (its registry key), its spec and the extra fields of its mirror. */
export type ElementItemOf<K extends string, D> = D extends ElementDescriptor<infer S, infer X> ? { kind: K; spec: S } & X : never;

/** pfSense's XMLRPC sync gives the secondary the primary's advskew + 100, at most 254 (rc.filter_synchronize). */
export function secondarySkew(primarySkew: number): number {
  return Math.min(primarySkew + 100, 254);
}
