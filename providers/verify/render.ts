// render's pure core: a firewall's current config.xml + the stack's plan for it -> the config.xml the providers would
// write, and the unified diff between the two with every secret masked on both sides.
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { firewallPlanOf, substituteSecrets, type PlanItem, type SecretName } from "../../components/plan";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../pfsense/codec";
import { ELEMENT_KINDS, type AnyElementDescriptor, type EditResult } from "../pfsense/elements";
import { schemaOf, type PfSchema } from "../pfsense/version";
import { unifiedDiff } from "./line-diff";

export const SECRET_MASK = "********";

/** The same element edit the item's provider applies (its kind's descriptor's upsert). */
export function applyPlanItem(doc: PfConfigDoc, item: PlanItem, schema: PfSchema): EditResult {
  const d: AnyElementDescriptor = ELEMENT_KINDS[item.kind];
  return d.upsert(doc, item.spec, schema);
}

// Secret-carrying elements of config.xml (CARP VIP and hasync passwords): masked in anything printed.
// Also matches diff lines (a leading "+", "-" or " ").
const SECRET_LINE = /^([-+ ]?\s*<password>)(?:<!\[CDATA\[[\s\S]*?\]\]>|[^<]*)(<\/password>)$/;

export function maskSecrets(xml: string): string {
  return xml
    .split("\n")
    .map((l) => l.replace(SECRET_LINE, `$1${SECRET_MASK}$2`))
    .join("\n");
}

export interface RenderedFirewall {
  role: FirewallRole;
  name: string;
  /** The config.xml the providers would leave (secrets as given, or the mask). */
  after: string;
  /** Unified diff current -> after, secrets masked on both sides; "" when nothing would change. */
  diff: string;
  /** The element edits, one line each (ChangeLog wording, secrets never shown; unknown secrets not compared). */
  changes: string[];
  /** False when a secret was not given: passwords were masked on both sides and not compared. */
  secretsCompared: boolean;
}

export interface RenderOptions {
  /** Real secret values; missing ones are replaced by the mask (the diff then cannot show secret drift). */
  secrets?: Partial<Record<SecretName, string>>;
  allowUnknownVersion?: boolean;
  /** Label of the current file in the diff header. */
  source?: string;
}

export function renderFirewall(config: ClusterConfig, role: FirewallRole, currentXml: string, opts: RenderOptions = {}): RenderedFirewall {
  const name = config.firewalls[role].name;
  const doc = parseConfigXml(currentXml);
  const schema = schemaOf(doc, opts.allowUnknownVersion ?? config.allowUnknownPfsenseVersion);
  const values: Partial<Record<SecretName, string>> = { carpPassword: SECRET_MASK, xmlrpcPassword: SECRET_MASK, ...opts.secrets };
  const changes: string[] = [];
  const masked = (["carpPassword", "xmlrpcPassword"] as const).some((n) => opts.secrets?.[n] === undefined);
  for (const item of firewallPlanOf(config, config.name, role)) {
    const r = applyPlanItem(doc, substituteSecrets(item, values), schema);
    // With a masked secret, "password changed" only means "not the mask": not a change the stack would make.
    changes.push(...r.diff.filter((l) => !(masked && l.endsWith("(secret, changed)"))).map((l) => `${item.key}: ${l}`));
  }
  const after = buildConfigXml(doc);
  const src = opts.source ?? "config.xml";
  const labels = { from: `${name}/${src}`, to: `${name}/config.xml (planned)` };
  // Secrets known: diff the real files (a changed password shows as a changed, masked line). Otherwise mask both
  // sides first, so the mask standing in for the unknown value never reads as a change.
  const diff = masked ? unifiedDiff(maskSecrets(currentXml), maskSecrets(after), labels) : maskSecrets(unifiedDiff(currentXml, after, labels));
  return { role, name, after, diff, changes, secretsCompared: !masked };
}
