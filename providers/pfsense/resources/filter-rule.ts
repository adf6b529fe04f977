// FirewallRule: one filter rule (elements/filter-rule.ts), identified by its tracker (generated once when not
// given) and the descr marker; its position relative to the user's rules is part of the spec.
import { readFilterRule, removeFilterRule, upsertFilterRule, validateFilterRule, type FilterRuleSpec } from "../elements/filter-rule";
import type { ElementInputs, ElementKind } from "./element-provider";
import { newTracker } from "./identity";

export type FirewallRuleInputs = ElementInputs<FilterRuleSpec>;

export const firewallRuleKind: ElementKind<FilterRuleSpec, FirewallRuleInputs> = {
  kind: "FirewallRule",
  normalize: (olds, news) => ({ ...news, spec: { ...news.spec, tracker: news.spec.tracker || olds.spec?.tracker || newTracker() } }),
  identity: (i) => i.spec.tracker,
  validate: (i) => validateFilterRule(i.spec),
  upsert: (doc, i, schema) => void upsertFilterRule(doc, i.spec, schema),
  remove: (doc, i) => void removeFilterRule(doc, i.spec.tracker),
  read: (doc, i) => readFilterRule(doc, i.spec.tracker),
  secrets: () => [],
};
