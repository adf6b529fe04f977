// PortForward: a port forward to a WAN CARP VIP with its linked filter rule (elements/port-forward.ts), identified
// by the descr marker key; delete removes the NAT rule and the filter rule it added.
import { readPortForward, removePortForward, upsertPortForward, validatePortForward, type PortForwardSpec } from "../elements/port-forward";
import type { ElementInputs, ElementKind } from "./element-provider";

export type PortForwardInputs = ElementInputs<PortForwardSpec>;

export const portForwardKind: ElementKind<PortForwardSpec, PortForwardInputs> = {
  kind: "PortForward",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.key,
  validate: (i) => validatePortForward(i.spec),
  upsert: (doc, i, schema) => void upsertPortForward(doc, i.spec, schema),
  remove: (doc, i) => void removePortForward(doc, i.spec.key),
  read: (doc, i) => readPortForward(doc, i.spec.key),
  secrets: () => [],
};
