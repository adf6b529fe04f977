// CarpVip: one CARP VIP (elements/carp-vip.ts), identified by its uniqid, generated once when not given.
// The secondary's spec is what XMLRPC sync writes there (elements/mirror.ts forNode: same uniqid, skew +100).
import { readCarpVip, removeCarpVip, upsertCarpVip, validateCarpVip, type CarpVipSpec } from "../elements/carp-vip";
import type { ElementInputs, ElementKind } from "./element-provider";
import { newUniqid } from "./identity";

export type CarpVipInputs = ElementInputs<CarpVipSpec>;

export const carpVipKind: ElementKind<CarpVipSpec, CarpVipInputs> = {
  kind: "CarpVip",
  normalize: (olds, news) => ({ ...news, spec: { ...news.spec, uniqid: news.spec.uniqid || olds.spec?.uniqid || newUniqid() } }),
  identity: (i) => i.spec.uniqid,
  validate: (i) => validateCarpVip(i.spec),
  upsert: (doc, i) => void upsertCarpVip(doc, i.spec),
  remove: (doc, i) => void removeCarpVip(doc, i.spec.uniqid),
  read: (doc, i) => readCarpVip(doc, i.spec.uniqid),
  secrets: (i) => [i.spec.password],
};
