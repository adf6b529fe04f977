// Gateway: one static IPv4 gateway, the interface's upstream and optionally the default (elements/gateway.ts),
// identified by its name and the descr marker. The secondary gets the same spec (XMLRPC sync copies <gateways>).
import { readGateway, removeGateway, upsertGateway, validateGateway, type GatewaySpec } from "../elements/gateway";
import type { ElementInputs, ElementKind } from "./element-provider";

export type GatewayInputs = ElementInputs<GatewaySpec>;

export const gatewayKind: ElementKind<GatewaySpec, GatewayInputs> = {
  kind: "Gateway",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.name,
  validate: (i) => validateGateway(i.spec),
  upsert: (doc, i) => void upsertGateway(doc, i.spec),
  remove: (doc, i) => void removeGateway(doc, i.spec.name),
  read: (doc, i) => readGateway(doc, i.spec.name),
  secrets: () => [],
};
