// OutboundNatRule: hybrid outbound NAT + one manual rule (elements/outbound-nat.ts), identified by the descr
// marker key; the target schema follows the box's config version.
import { readOutboundNat, removeOutboundNat, upsertOutboundNat, validateOutboundNat, type OutboundNatSpec } from "../elements/outbound-nat";
import type { ElementInputs, ElementKind } from "./element-provider";

export type OutboundNatInputs = ElementInputs<OutboundNatSpec>;

export const outboundNatKind: ElementKind<OutboundNatSpec, OutboundNatInputs> = {
  kind: "OutboundNatRule",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.key,
  validate: (i) => validateOutboundNat(i.spec),
  upsert: (doc, i, schema) => void upsertOutboundNat(doc, i.spec, schema),
  remove: (doc, i) => void removeOutboundNat(doc, i.spec.key),
  read: (doc, i) => {
    const found = readOutboundNat(doc, i.spec.key);
    // "bottom" holds wherever the rule is (it was appended); "top" is checked by the read (a manual rule above).
    if (found && i.spec.position !== undefined) found.position = i.spec.position === "bottom" ? "bottom" : found.position ?? "top";
    return found;
  },
  secrets: () => [],
};
