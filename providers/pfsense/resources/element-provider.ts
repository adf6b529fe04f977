// A dynamic provider over one managed config.xml element (identified by a generated uniqid/tracker), written
// through the remote protocol. check/diff are pure; create/update/delete submit edits; read detects drift.
import type { Problem } from "../../../config/problems";
import { formatProblem } from "../../../config/problems";
import { parseConfigXml, type PfConfigDoc } from "../codec";
import { connectHost } from "../../ssh";
import type { SshEndpoint } from "../../ssh/types";
import { submitEdit } from "../remote/queue";
import { CONFIG_PATH } from "../remote/install-script";
import type { ApplySection } from "../remote/types";

/** Pulumi's preview placeholder for values not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface ElementInputs {
  endpoint: SshEndpoint;
  allowUnknownVersion?: boolean;
}

/** What a resource kind knows about its element (pure functions over the document). */
export interface ElementSpec<I extends ElementInputs> {
  kind: string;
  section: ApplySection;
  /** Problems in the inputs, before any host is touched. */
  validate(inputs: I): Problem[];
  /** Fill generated identity (uniqid/tracker): keep the old one, else make a new one. */
  withIdentity(olds: Partial<I>, news: I): I;
  identity(inputs: I): string;
  /** Properties whose change needs a new element. */
  replaceKeys: string[];
  upsert(doc: PfConfigDoc, inputs: I): void;
  remove(doc: PfConfigDoc, inputs: I): void;
  /** Our element's managed properties as found, or undefined when it is gone. */
  read(doc: PfConfigDoc, inputs: I): Partial<I> | undefined;
  secrets(inputs: I): string[];
}

type Props = Record<string, unknown>;

function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(hasUnknown);
  return false;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The fields of `expected` whose value differs in `found` (drift / read-back check). */
export function driftOf<I>(expected: Partial<I>, found: Partial<I>): string[] {
  return Object.keys(found).filter((k) => !same((found as Props)[k], (expected as Props)[k]));
}

export class ElementProvider<I extends ElementInputs> {
  // TS private (not #): the provider is closure-serialized into __provider.
  constructor(private readonly spec: ElementSpec<I>) {}

  async check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const inputs = this.spec.withIdentity(olds as Partial<I>, news as unknown as I);
    const problems = hasUnknown(news) ? [] : this.spec.validate(inputs);
    if (!inputs.endpoint || typeof inputs.endpoint.host !== "string") {
      problems.push({ key: "endpoint", value: inputs.endpoint, message: "is missing", fix: "pass the firewall's SSH endpoint" });
    }
    return {
      inputs: inputs as unknown as Props,
      failures: problems.map((p) => ({ property: p.key.split(".")[0], reason: formatProblem(p) })),
    };
  }

  async diff(_id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => k !== "__provider" && k !== "configVersion"));
    const changed = [...keys].filter((k) => !same(olds[k], news[k]));
    const endpointMoved = !same((olds.endpoint as Props | undefined)?.host, (news.endpoint as Props | undefined)?.host);
    const replaces = changed.filter((k) => this.spec.replaceKeys.includes(k) || (k === "endpoint" && endpointMoved));
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
  }

  async create(inputs: Props): Promise<{ id: string; outs: Props }> {
    const i = inputs as unknown as I;
    const version = await this.write(i, "create");
    return { id: `${this.spec.kind}:${this.spec.identity(i)}`, outs: { ...inputs, configVersion: version } };
  }

  async update(_id: string, _olds: Props, news: Props): Promise<{ outs: Props }> {
    const version = await this.write(news as unknown as I, "update");
    return { outs: { ...news, configVersion: version } };
  }

  async delete(_id: string, props: Props): Promise<void> {
    const i = props as unknown as I;
    await submitEdit(i.endpoint, {
      label: `${this.spec.kind} ${this.spec.identity(i)} (delete)`,
      edit: (doc) => this.spec.remove(doc, i),
      verify: (doc) => (this.spec.read(doc, i) === undefined ? undefined : "still present"),
      allowUnknownVersion: i.allowUnknownVersion,
      secrets: this.spec.secrets(i),
    });
  }

  /** Refresh: our element's values as on the box (drift shows as a diff); gone = removed from state. */
  async read(id: string, props?: Props): Promise<{ id?: string; props?: Props }> {
    if (!props) return {};
    const i = props as unknown as I;
    const host = await connectHost(i.endpoint);
    const doc = parseConfigXml((await host.readFile(CONFIG_PATH)).toString("utf8"));
    const found = this.spec.read(doc, i);
    if (found === undefined) return {};
    return { id, props: { ...props, ...found } };
  }

  private async write(i: I, op: string): Promise<string> {
    const problems = this.spec.validate(i);
    if (problems.length > 0) throw new Error(problems.map(formatProblem).join("; ")); // never touch the host
    return submitEdit(i.endpoint, {
      label: `${this.spec.kind} ${this.spec.identity(i)} (${op})`,
      edit: (doc) => this.spec.upsert(doc, i),
      verify: (doc) => {
        const found = this.spec.read(doc, i);
        if (found === undefined) return "element missing";
        const bad = driftOf(i, found);
        return bad.length === 0 ? undefined : `differs in ${bad.join(", ")}`;
      },
      allowUnknownVersion: i.allowUnknownVersion,
      secrets: this.spec.secrets(i),
    });
  }
}
