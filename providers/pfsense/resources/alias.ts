// Alias: one host/network alias (elements/alias.ts), identified by its name and the descr marker.
import { readAlias, removeAlias, upsertAlias, validateAlias, type AliasSpec } from "../elements/alias";
import type { ElementInputs, ElementKind } from "./element-provider";

export type AliasInputs = ElementInputs<AliasSpec>;

export const aliasKind: ElementKind<AliasSpec, AliasInputs> = {
  kind: "Alias",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.name,
  validate: (i) => validateAlias(i.spec),
  upsert: (doc, i) => void upsertAlias(doc, i.spec),
  remove: (doc, i) => void removeAlias(doc, i.spec.name),
  read: (doc, i) => readAlias(doc, i.spec.name),
  secrets: () => [],
};
