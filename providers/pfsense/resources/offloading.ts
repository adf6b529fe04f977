// Offloading: System > Advanced > Networking "Disable hardware checksum offload" (elements/offloading.ts), one per
// firewall. Delete leaves the flag set (see the element).
import { readOffloading, upsertOffloading, validateOffloading, type OffloadingSpec } from "../elements/offloading";
import type { ElementInputs, ElementKind } from "./element-provider";

export type OffloadingInputs = ElementInputs<OffloadingSpec>;

export const offloadingKind: ElementKind<OffloadingSpec, OffloadingInputs> = {
  kind: "Offloading",
  normalize: (_olds, news) => news,
  identity: () => "system/disablechecksumoffloading",
  validate: (i) => validateOffloading(i.spec),
  upsert: (doc, i) => void upsertOffloading(doc, i.spec),
  remove: () => undefined,
  keptOnDelete: () => true,
  read: (doc) => readOffloading(doc),
  secrets: () => [],
};
