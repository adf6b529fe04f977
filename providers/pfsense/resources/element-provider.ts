// The dynamic provider of every pfSense element kind, driven by the kind's descriptor (elements/descriptor.ts).
// check/diff are pure and never open a connection; create/update/delete submit one edit through the remote protocol
// (batched per host); read returns the element as found, so drift shows as a diff.
import { assertSameVersion, schemaOf, versionOf } from "../version";
import { submitEdit } from "../remote/queue";
import type { SshEndpoint } from "../../ssh/types";
import { readBoxConfig, readPendingApply } from "./box";
import type { AnyElementDescriptor, ElementInputs } from "../elements/descriptor";
import { endpointLabel } from "../../ssh";
import { messageOf } from "../../error-message";
import { plainData } from "../../plain-data";
import { stableJson } from "../../digest";

import { hasUnknown, UNKNOWN } from "../../unknown";

export { UNKNOWN };
export type { ElementInputs };

type Props = Record<string, unknown>;

/** Input keys that are not desired state (outputs the provider adds). */
const OUTPUT_KEYS = ["__provider", "configVersion", "identity"];

/**
 * State key set by read when the element's apply section is pending on the box (installed, never applied: a run
 * was killed). The program never sets it, so refresh shows a diff and `up` updates the element, which applies it.
 */
export const PENDING_APPLY_KEY = "pendingApply";

/** The top-level fields of spec `want` whose value differs in `found` (drift, read-back check). */
export function specDrift(want: object, found: object): string[] {
  const w = want as Props;
  const f = found as Props;
  const keys = [...Object.keys(w), ...Object.keys(f)].filter((k, i, all) => all.indexOf(k) === i);
  return keys.filter((k) => stableJson(w[k]) !== stableJson(f[k]));
}

type I = ElementInputs<object>;

export class ElementProvider {
  // TS private (not #) and assigned in the constructor: the provider is closure-serialized into __provider.
  private readonly k: AnyElementDescriptor;

  constructor(descriptor: AnyElementDescriptor) {
    this.k = descriptor;
  }

  async check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const failures: { property: string; reason: string }[] = [];
    const endpoint: unknown = news.endpoint;
    if (endpoint !== UNKNOWN && (typeof endpoint !== "object" || endpoint === null || typeof (endpoint as Props).host !== "string")) {
      failures.push({ property: "endpoint", reason: "endpoint: is missing; pass the firewall's SSH endpoint ({ host, username, ... })" });
    }
    const spec = news.spec;
    if (typeof spec !== "object" || spec === null) {
      if (spec !== UNKNOWN) failures.push({ property: "spec", reason: `spec: ${JSON.stringify(spec ?? null)} is not an object; pass the ${this.k.resource} element spec` });
      return { inputs: news, failures };
    }
    if (hasUnknown(news)) return { inputs: news, failures }; // preview: validated once the values are known
    let inputs = news as unknown as I;
    try {
      inputs = { ...inputs, spec: this.k.normalize((olds as Partial<I>).spec, inputs.spec) };
      this.k.validate(inputs.spec, inputs);
    } catch (e) {
      failures.push({ property: "spec", reason: `${this.k.resource} spec.${messageOf(e)}` });
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
    const identity = this.k.identity(i.spec);
    return { id: `${this.k.resource}:${identity}`, outs: plainData({ ...inputs, identity, configVersion: version }) };
  }

  async update(_id: string, _olds: Props, news: Props): Promise<{ outs: Props }> {
    const i = this.checked(news);
    const version = await this.write(i, "update");
    return { outs: plainData({ ...news, identity: this.k.identity(i.spec), configVersion: version }) };
  }

  async delete(_id: string, props: Props): Promise<void> {
    const i = props as unknown as I;
    if (this.k.keptOnDelete?.(i.spec) === true) return;
    const label = `${this.k.resource} ${this.k.identity(i.spec)}`;
    await submitEdit(i.endpoint, {
      label: `${label} (delete)`,
      edit: (doc) => this.k.remove(doc, i.spec, schemaOf(doc, i.allowUnknownVersion === true)),
      verify: (doc) => (this.k.read(doc, i.spec, schemaOf(doc, true)) === undefined ? undefined : "still present"),
      allowUnknownVersion: i.allowUnknownVersion,
      secrets: this.k.secrets(i.spec),
    });
  }

  /**
   * Refresh: our element as on the box (a changed field shows as a diff). An empty id tells the engine the element
   * is gone (it leaves the state): only when neither the element nor a part of it is there. A box that cannot be
   * read fails the refresh instead.
   */
  async read(id: string, props?: Props): Promise<{ id?: string; props?: Props }> {
    if (!props || typeof props.spec !== "object" || props.spec === null) {
      throw new Error(`${this.k.resource} ${id}: refresh got no prior state to read with; run \`pulumi up\` first`);
    }
    const i = props as unknown as I;
    const doc = await readBoxConfig(i.endpoint);
    const schema = schemaOf(doc, i.allowUnknownVersion === true);
    const found = this.k.read(doc, i.spec, schema) ?? this.k.partial?.(doc, i.spec, schema);
    if (found === undefined) return {}; // no id: the host answers an empty id, the engine drops the resource
    const pending = await readPendingApply(i.endpoint);
    const section = this.k.section;
    const out: Props = { ...props, spec: found };
    delete out[PENDING_APPLY_KEY];
    if (pending.sections.includes(section)) out[PENDING_APPLY_KEY] = section;
    return { id, props: plainData(out) };
  }

  private identityOf(p: Props): string | undefined {
    try {
      return this.k.identity((p as unknown as I).spec);
    } catch {
      return undefined;
    }
  }

  /** Inputs as check made them; validated again so a direct call never reaches a host with bad input. */
  private checked(inputs: Props): I {
    const i = inputs as unknown as I;
    try {
      this.k.validate(i.spec, i);
    } catch (e) {
      throw new Error(`${this.k.resource} spec.${messageOf(e)}`, { cause: e });
    }
    return i;
  }

  private async write(i: I, op: string): Promise<string> {
    if (this.k.peer && i.peerEndpoint !== undefined) await this.sameVersionAsPeer(i, i.peerEndpoint);
    return submitEdit(i.endpoint, {
      label: `${this.k.resource} ${this.k.identity(i.spec)} (${op})`,
      edit: (doc) => void this.k.upsert(doc, i.spec, schemaOf(doc, i.allowUnknownVersion === true)),
      verify: (doc) => {
        const found = this.k.read(doc, i.spec, schemaOf(doc, true));
        if (found === undefined) return "element missing";
        const bad = specDrift(i.spec, found);
        return bad.length === 0 ? undefined : `differs in ${bad.join(", ")}`;
      },
      allowUnknownVersion: i.allowUnknownVersion,
      secrets: this.k.secrets(i.spec),
    });
  }

  /** `peer` kinds: both firewalls must report the same config <version> (XMLRPC sync refuses to run otherwise). */
  private async sameVersionAsPeer(i: I, peerEndpoint: SshEndpoint): Promise<void> {
    const [mine, peer] = await Promise.all([readBoxConfig(i.endpoint), readBoxConfig(peerEndpoint)]);
    const me = { name: endpointLabel(i.endpoint), version: versionOf(mine) };
    const other = { name: endpointLabel(peerEndpoint), version: versionOf(peer) };
    if (i.role === "secondary") assertSameVersion(other, me);
    else assertSameVersion(me, other);
  }
}
