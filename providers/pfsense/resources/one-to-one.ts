// OneToOneNat: a 1:1 NAT mapping whose external address is a WAN CARP VIP (elements/one-to-one.ts), identified by
// the descr marker key.
import { readOneToOne, removeOneToOne, upsertOneToOne, validateOneToOne, type OneToOneSpec } from "../elements/one-to-one";
import type { ElementInputs, ElementKind } from "./element-provider";

export type OneToOneInputs = ElementInputs<OneToOneSpec>;

export const oneToOneKind: ElementKind<OneToOneSpec, OneToOneInputs> = {
  kind: "OneToOneNat",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.key,
  validate: (i) => validateOneToOne(i.spec),
  upsert: (doc, i) => void upsertOneToOne(doc, i.spec),
  remove: (doc, i) => void removeOneToOne(doc, i.spec.key),
  read: (doc, i) => readOneToOne(doc, i.spec.key),
  secrets: () => [],
};
