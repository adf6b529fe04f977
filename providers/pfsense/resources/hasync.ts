// HaSyncConfig: pfsync on both nodes; XMLRPC target, credentials and sync options on the primary only
// (elements/hasync.ts). With `peerEndpoint`, create/update first check that both firewalls report the same config
// <version>: XMLRPC sync refuses to run otherwise.
import { child, getPath, textIn } from "../codec-tree";
import { endpointLabel } from "../../ssh";
import type { SshEndpoint } from "../../ssh/types";
import { ElementInputError } from "../elements/common";
import { readHaSync, removeHaSync, syncOptionsFor, upsertHaSync, validateHaSync, xmlrpcPortOf, type HaSyncSpec } from "../elements/hasync";
import { assertSameVersion, newestSchema, versionOf } from "../version";
import { readBoxConfig } from "./box";
import type { ElementInputs, ElementKind } from "./element-provider";

export interface HaSyncInputs extends ElementInputs<HaSyncSpec> {
  /** The other firewall: its config <version> must equal this one's. */
  peerEndpoint?: SshEndpoint;
  /** primary (XMLRPC settings allowed) or secondary (never XMLRPC: the secondary would refuse a sync loop). */
  role?: "primary" | "secondary";
}

/** Sync option names in pfSense's order (the newest schema knows them all), so reads compare equal. */
function ordered(options: string[]): string[] {
  const known = syncOptionsFor(newestSchema());
  return [...options].sort((a, b) => known.indexOf(a) - known.indexOf(b));
}

export const haSyncKind: ElementKind<HaSyncSpec, HaSyncInputs> = {
  kind: "HaSyncConfig",
  normalize: (_olds, news) => {
    const x = news.spec.xmlrpc;
    return x === undefined ? news : { ...news, spec: { ...news.spec, xmlrpc: { ...x, disabledOptions: ordered(x.disabledOptions ?? []) } } };
  },
  identity: () => "hasync",
  validate: (i) => {
    if (i.role !== undefined && i.role !== "primary" && i.role !== "secondary") throw new ElementInputError("role", i.role, "use primary or secondary");
    if (i.role === "secondary" && i.spec.xmlrpc !== undefined) {
      throw new Error("xmlrpc: set on the secondary; XMLRPC sync runs from the primary only (the secondary refuses a sync loop): drop xmlrpc from the secondary's spec");
    }
    // the newest schema here; the box's own one is checked when the edit runs
    validateHaSync(i.spec, newestSchema());
  },
  upsert: (doc, i, schema) => void upsertHaSync(doc, i.spec, schema),
  remove: (doc, _i, schema) => void removeHaSync(doc, schema),
  read: (doc, i, schema) => {
    const found = readHaSync(doc, schema);
    // The port is not stored in <hasync>: it is the webGUI's, read as the XMLRPC client computes it.
    if (found?.xmlrpc && i.spec.xmlrpc?.webguiPort !== undefined) found.xmlrpc.webguiPort = xmlrpcPortOf(doc);
    return found;
  },
  // pfsync switched off by hand while our settings are still there: drift (read as no pfsync interface), not gone.
  partial: (doc) => {
    const h = getPath(doc.root, "hasync");
    if (h === undefined || (child(h, "pfsyncinterface") === undefined && child(h, "synchronizetoip") === undefined)) return undefined;
    return { pfsyncInterface: "", pfsyncPeerIp: textIn(doc, child(h, "pfsyncpeerip")) ?? "" };
  },
  secrets: (i) => (i.spec.xmlrpc ? [i.spec.xmlrpc.password] : []),
  beforeWrite: async (i) => {
    if (i.peerEndpoint === undefined) return;
    const [mine, peer] = await Promise.all([readBoxConfig(i.endpoint), readBoxConfig(i.peerEndpoint)]);
    const me = { name: endpointLabel(i.endpoint), version: versionOf(mine) };
    const other = { name: endpointLabel(i.peerEndpoint), version: versionOf(peer) };
    if (i.role === "secondary") assertSameVersion(other, me);
    else assertSameVersion(me, other);
  },
};
