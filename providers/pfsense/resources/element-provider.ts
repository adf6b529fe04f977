
// A dynamic provider over one managed config.xml element, generic over the element kind (resources/<kind>.ts, each
// a thin spec over elements/). check/diff are pure and never open a connection; create/update/delete submit one
// edit through the remote protocol (batched per host); read returns the element as found, so drift shows as a diff.
import type { PfConfigDoc } from "../codec";
import { schemaOf, type PfSchema } from "../version";
import { submitEdit } from "../remote/queue";
import type { SshEndpoint } from "../../ssh/types";
import { readBoxConfig, readPendingApply } from "./box";
import type { ApplySection } from "../remote/types";
import { messageOf } from "../../error-message";
import { plainData } from "../../plain-data";
import { stableJson } from "../../digest";

import { hasUnknown, UNKNOWN } from "../../unknown";

export { UNKNOWN };

/** Inputs every element resource has: where, the version override, and the element spec itself. */
export interface ElementInputs<S> {
  endpoint: SshEndpoint;
  allowUnknownVersion?: boolean;
  spec: S;
}

/** What a resource kind knows about its element: pure functions over inputs and the parsed document. */
export interface ElementKind<S, I extends ElementInputs<S> = ElementInputs<S>> {
  /** Resource kind, e.g. "CarpVip" (ids, labels). */
  kind: string;
  /** Fill generated identity and defaults; keeps the identity from `olds` so it is generated once. */
  normalize(olds: Partial<I>, news: I): I;
  /** The element's identity on the box (uniqid, tracker, name, marker key). */
  identity(inputs: I): string;
  /** Input checks that need no host; throw naming the field, the bad value and the fix. */
  validate(inputs: I): void;
  upsert(doc: PfConfigDoc, inputs: I, schema: PfSchema): void;
  remove(doc: PfConfigDoc, inputs: I, schema: PfSchema): void;
  /** Our element as found (same shape as `inputs.spec`), or undefined when it is not there. */
  read(doc: PfConfigDoc, inputs: I, schema: PfSchema): S | undefined;
  /**
   * For refresh only, when `read` found nothing: our element still there in part (a human switched a piece of it
   * off), as a spec that differs from the desired one. Refresh then shows drift and the next `up` repairs it in
   * place; without this the element would read as gone, leave the state and be created again.
   */
  partial?(doc: PfConfigDoc, inputs: I, schema: PfSchema): S | undefined;
  /** Secret values in the inputs (registered for redaction). */
  secrets(inputs: I): string[];
  /** True when delete leaves the element in place (wan/lan are never unassigned): nothing is written. */
  keptOnDelete?(inputs: I): boolean;
  /** Checks that need the hosts, run before the write (e.g. the peer reports the same config version). */
  beforeWrite?(inputs: I): Promise<void>;
}

type Props = Record<string, unknown>;

/** Input keys that are not desired state (outputs the provider adds). */
const OUTPUT_KEYS = ["__provider", "configVersion", "identity"];

/**
 * State key set by read when the element's apply section is pending on the box (installed, never applied: a run
 * was killed). The program never sets it, so refresh shows a diff and `up` updates the element, which applies it.
 */
export const PENDING_APPLY_KEY = "pendingApply";

/** The apply section (remote/types.ts) each kind's element belongs to. */
const SECTION_OF_KIND: Record<string, ApplySection> = {
  PfSenseInterface: "interfaces",
  Gateway: "routing",
  CarpVip: "vip",
  HaSyncConfig: "hasync",
  Alias: "filter",
  FirewallRule: "filter",
  OutboundNatRule: "filter",
  DhcpFailover: "dhcp",
  Offloading: "system",
  VpnBinding: "vpn",
  PortForward: "filter",
  OneToOneNat: "filter",
};

/** The top-level fields of spec `want` whose value differs in `found` (drift, read-back check). */
export function specDrift(want: object, found: object): string[] {
  const w = want as Props;
  const f = found as Props;
  const keys = [...Object.keys(w), ...Object.keys(f)].filter((k, i, all) => all.indexOf(k) === i);
  return keys.filter((k) => stableJson(w[k]) !== stableJson(f[k]));
}

export class ElementProvider<S extends object, I extends ElementInputs<S> = ElementInputs<S>> {
  // TS private (not #) and assigned in the constructor: the provider is closure-serialized into __provider.
  private readonly k: ElementKind<S, I>;

  constructor(kind: ElementKind<S, I>) {
    this.k = kind;
  }

  async check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const failures: { property: string; reason: string }[] = [];
    const endpoint: unknown = news.endpoint;
    if (endpoint !== UNKNOWN && (typeof endpoint !== "object" || endpoint === null || typeof (endpoint as Props).host !== "string")) {
      failures.push({ property: "endpoint", reason: "endpoint: is missing; pass the firewall's SSH endpoint ({ host, username, ... })" });
    }
    const spec = news.spec;
    if (typeof spec !== "object" || spec === null) {
      if (spec !== UNKNOWN) failures.push({ property: "spec", reason: `spec: ${JSON.stringify(spec ?? null)} is not an object; pass the ${this.k.kind} element spec` });
      return { inputs: news, failures };
    }
    if (hasUnknown(news)) return { inputs: news, failures }; // preview: validated once the values are known
    let inputs = news as unknown as I;
    try {
      inputs = this.k.normalize(olds as Partial<I>, inputs);
      this.k.validate(inputs);
    } catch (e) {
      failures.push({ property: "spec", reason: `${this.k.kind} spec.${messageOf(e)}` });
    }
    return { inputs: inputs as unknown as Props, failures };
  }

  async diff(_id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    const keys = [...Object.keys(olds), ...Object.keys(news)].filter((k, i, all) => all.indexOf(k) === i && !OUTPUT_KEYS.includes(k));
    const changed = keys.filter((k) => stableJson(olds[k]) !== stableJson(news[k]));
    const replaces: string[] = [];
    const oe = (olds.endpoint ?? {}) as Props;
    const ne = (news.endpoint ?? {}) as Props;
    // Another box (host or port) = another element; new credentials for the same box are an update.
    if (oe.host !== ne.host || (oe.port ?? 22) !== (ne.port ?? 22)) replaces.push("endpoint");
    if (changed.includes("spec") && !hasUnknown(news.spec) && this.identityOf(olds) !== this.identityOf(news)) replaces.push("spec");
    return { changes: changed.length > 0, replaces: replaces.filter((k) => changed.includes(k)), deleteBeforeReplace: true };
  }

  async create(inputs: Props): Promise<{ id: string; outs: Props }> {
    const i = this.checked(inputs);
    const version = await this.write(i, "create");
    const identity = this.k.identity(i);
    return { id: `${this.k.kind}:${identity}`, outs: plainData({ ...inputs, identity, configVersion: version }) };
  }

  async update(_id: string, _olds: Props, news: Props): Promise<{ outs: Props }> {
    const i = this.checked(news);
    const version = await this.write(i, "update");
    return { outs: plainData({ ...news, identity: this.k.identity(i), configVersion: version }) };
  }

  async delete(_id: string, props: Props): Promise<void> {
    const i = props as unknown as I;
    if (this.k.keptOnDelete?.(i) === true) return;
    const label = `${this.k.kind} ${this.k.identity(i)}`;
    await submitEdit(i.endpoint, {
      label: `${label} (delete)`,
      edit: (doc) => this.k.remove(doc, i, schemaOf(doc, i.allowUnknownVersion === true)),
      verify: (doc) => (this.k.read(doc, i, schemaOf(doc, true)) === undefined ? undefined : "still present"),
      allowUnknownVersion: i.allowUnknownVersion,
      secrets: this.k.secrets(i),
    });
  }

  /**
   * Refresh: our element as on the box (a changed field shows as a diff). An empty id tells the engine the element
   * is gone (it leaves the state): only when neither the element nor a part of it is there. A box that cannot be
   * read fails the refresh instead.
   */
  async read(id: string, props?: Props): Promise<{ id?: string; props?: Props }> {
    if (!props || typeof props.spec !== "object" || props.spec === null) {
      throw new Error(`${this.k.kind} ${id}: refresh got no prior state to read with; run \`pulumi up\` first`);
    }
    const i = props as unknown as I;
    const doc = await readBoxConfig(i.endpoint);
    const schema = schemaOf(doc, i.allowUnknownVersion === true);
    const found = this.k.read(doc, i, schema) ?? this.k.partial?.(doc, i, schema);
    if (found === undefined) return {}; // no id: the host answers an empty id, the engine drops the resource
    const pending = await readPendingApply(i.endpoint);
    const section = SECTION_OF_KIND[this.k.kind];
    const out: Props = { ...props, spec: found };
    delete out[PENDING_APPLY_KEY];
    if (section !== undefined && pending.sections.includes(section)) out[PENDING_APPLY_KEY] = section;
    return { id, props: plainData(out) };
  }

  private identityOf(p: Props): string | undefined {
    try {
      return this.k.identity(p as unknown as I);
    } catch {
      return undefined;
    }
  }

  /** Inputs as check made them; validated again so a direct call never reaches a host with bad input. */
  private checked(inputs: Props): I {
    const i = inputs as unknown as I;
    try {
      this.k.validate(i);
    } catch (e) {
      throw new Error(`${this.k.kind} spec.${messageOf(e)}`, { cause: e });
    }
    return i;
  }

  private async write(i: I, op: string): Promise<string> {
    if (this.k.beforeWrite) await this.k.beforeWrite(i);
    return submitEdit(i.endpoint, {
      label: `${this.k.kind} ${this.k.identity(i)} (${op})`,
      edit: (doc) => this.k.upsert(doc, i, schemaOf(doc, i.allowUnknownVersion === true)),
      verify: (doc) => {
        const found = this.k.read(doc, i, schemaOf(doc, true));
        if (found === undefined) return "element missing";
        const bad = specDrift(i.spec, found);
        return bad.length === 0 ? undefined : `differs in ${bad.join(", ")}`;
      },
      allowUnknownVersion: i.allowUnknownVersion,
      secrets: this.k.secrets(i),
    });
  }
}
