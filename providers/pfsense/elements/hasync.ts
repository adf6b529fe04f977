// <hasync> (system_hasync.php): pfsync keys on both nodes; XMLRPC target/credentials + synchronize* options only on
// the primary (xmlrpc.php refuses a sync loop if the secondary also points at its peer). Only our keys are touched.
import type { PfConfigDoc } from "../codec";
import { ensurePath, getPath, textIn, child } from "../codec-tree";
import type { PfSchema } from "../version";
import { ChangeLog, checkPfIfName, checkInt, checkIpv4, checkSecret, checkText, type EditResult } from "./common";
import { ElementInputError } from "./common";
import type { ElementDescriptor } from "./descriptor";
import { newestSchema } from "../version";

/** $checkbox_names in system_hasync.php, in its order (2.7.2); 2.8 adds synchronizekea6. */
export const SYNC_OPTIONS_27 = [
  "synchronizeusers", "synchronizeauthservers", "synchronizecerts", "synchronizerules", "synchronizeschedules",
  "synchronizealiases", "synchronizenat", "synchronizeipsec", "synchronizeopenvpn", "synchronizedhcpd",
  "synchronizedhcrelay", "synchronizedhcrelay6", "synchronizewol", "synchronizestaticroutes", "synchronizevirtualip",
  "synchronizetrafficshaper", "synchronizetrafficshaperlimiter", "synchronizednsforwarder", "synchronizecaptiveportal",
] as const;

export function syncOptionsFor(schema: PfSchema): string[] {
  return schema.kea6Sync ? [...SYNC_OPTIONS_27, "synchronizekea6"] : [...SYNC_OPTIONS_27];
}

export interface HaSyncSpec {
  pfsyncInterface: string;
  pfsyncPeerIp: string;
  /** Present only on the primary. */
  xmlrpc?: {
    synchronizeToIp: string;
    username: string;
    password: string;
    /** Options switched off (all others on). */
    disabledOptions?: string[];
    /**
     * The port the XMLRPC client connects to (the sync rule allows it). pfSense's client uses this firewall's own
     * webGUI port: checked against it before anything is written.
     */
    webguiPort?: number;
  };
}

/**
 * The port pfSense's XMLRPC client connects to (xmlrpc_client.inc, 2.7.2 and the 24.1 tree alike):
 * system/webgui/port, else 80 when system/webgui/protocol is "http", else 443.
 */
export function xmlrpcPortOf(doc: PfConfigDoc): number {
  const port = textIn(doc, getPath(doc.root, "system/webgui/port")) ?? "";
  // PHP empty(): "" and "0" count as unset
  if (port !== "" && port !== "0") return Number(port);
  return textIn(doc, getPath(doc.root, "system/webgui/protocol")) === "http" ? 80 : 443;
}

export function validateHaSync(spec: HaSyncSpec, schema: PfSchema): void {
  checkPfIfName("pfsyncInterface", spec.pfsyncInterface);
  checkIpv4("pfsyncPeerIp", spec.pfsyncPeerIp);
  if (spec.xmlrpc) {
    checkIpv4("xmlrpc.synchronizeToIp", spec.xmlrpc.synchronizeToIp);
    checkText("xmlrpc.username", spec.xmlrpc.username, 64);
    checkSecret("xmlrpc.password", spec.xmlrpc.password);
    if (spec.xmlrpc.webguiPort !== undefined) checkInt("xmlrpc.webguiPort", spec.xmlrpc.webguiPort, 1, 65535);
    const known = syncOptionsFor(schema);
    for (const o of spec.xmlrpc.disabledOptions ?? []) {
      if (!known.includes(o)) throw new Error(`xmlrpc.disabledOptions: ${JSON.stringify(o)} is not a sync option of config ${schema.version}; use one of ${known.join(", ")}`);
    }
  }
}

export function upsertHaSync(doc: PfConfigDoc, spec: HaSyncSpec, schema: PfSchema): EditResult {
  validateHaSync(spec, schema);
  const want = spec.xmlrpc?.webguiPort;
  if (want !== undefined && xmlrpcPortOf(doc) !== want) {
    throw new Error(
      `xmlrpc.webguiPort: ${want} is not the port pfSense's XMLRPC client uses here: this firewall's webGUI is on ${xmlrpcPortOf(doc)} ` +
        `(system/webgui/port, else 80/443 by protocol), so the sync rule would allow the wrong port; set pfsense-ha:cluster.hasync.webguiPort to ${xmlrpcPortOf(doc)}`,
    );
  }
  const h = ensurePath(doc.root, "hasync");
  const log = new ChangeLog(doc, "hasync");
  // system_hasync.php always writes pfhostid ("" = derived from the host); a value a human set is kept
  if (child(h, "pfhostid") === undefined) log.value(h, "pfhostid", "");
  log.value(h, "pfsyncenabled", "on");
  log.value(h, "pfsyncpeerip", spec.pfsyncPeerIp);
  log.value(h, "pfsyncinterface", spec.pfsyncInterface);
  const options = syncOptionsFor(schema);
  if (spec.xmlrpc) {
    const off = new Set(spec.xmlrpc.disabledOptions ?? []);
    // checked = 'on', unchecked = PHP false → element omitted
    for (const o of options) {
      if (off.has(o)) log.flag(h, o, false);
      else log.value(h, o, "on");
    }
    log.value(h, "synchronizetoip", spec.xmlrpc.synchronizeToIp);
    log.value(h, "username", spec.xmlrpc.username);
    log.value(h, "password", spec.xmlrpc.password, { secret: true });
  } else {
    for (const k of [...options, "synchronizetoip", "username", "password"]) log.flag(h, k, false);
  }
  return log.result();
}

export function readHaSync(doc: PfConfigDoc, schema: PfSchema): HaSyncSpec | undefined {
  const h = getPath(doc.root, "hasync");
  if (h === undefined || textIn(doc, child(h, "pfsyncenabled")) !== "on") return undefined;
  const v = (k: string): string | undefined => textIn(doc, child(h, k));
  const spec: HaSyncSpec = { pfsyncInterface: v("pfsyncinterface") ?? "", pfsyncPeerIp: v("pfsyncpeerip") ?? "" };
  const to = v("synchronizetoip");
  if (to) {
    spec.xmlrpc = {
      synchronizeToIp: to, username: v("username") ?? "", password: v("password") ?? "",
      disabledOptions: syncOptionsFor(schema).filter((o) => v(o) !== "on"),
    };
  }
  return spec;
}

/** Remove our keys (the pfsync and XMLRPC settings); other hasync keys (e.g. pfhostid) stay. */
export function removeHaSync(doc: PfConfigDoc, schema: PfSchema): boolean {
  const h = getPath(doc.root, "hasync");
  if (h === undefined) return false;
  const log = new ChangeLog(doc, "hasync");
  for (const k of ["pfsyncenabled", "pfsyncpeerip", "pfsyncinterface", ...syncOptionsFor(schema), "synchronizetoip", "username", "password"]) log.flag(h, k, false);
  return log.result().changed;
}

/** Sync option names in pfSense's order (the newest schema knows them all), so reads compare equal. */
function orderedOptions(options: string[]): string[] {
  const known = syncOptionsFor(newestSchema());
  return [...options].sort((a, b) => known.indexOf(a) - known.indexOf(b));
}

/**
 * HaSyncConfig: pfsync on both nodes; XMLRPC target, credentials and sync options on the primary only. With the
 * peer, create/update first check that both firewalls report the same config <version>: XMLRPC sync refuses to
 * run otherwise. The secondary gets pfsync keys only, naming the primary as its peer (`primarySyncIp`), never
 * synchronizetoip/username/password: xmlrpc.php auth() on a receiver whose synchronizetoip is the caller refuses
 * ("Disallowing CARP sync loop").
 */
export const haSyncElement: ElementDescriptor<HaSyncSpec, { primarySyncIp: string }> = {
  resource: "HaSyncConfig",
  provider: "haSync",
  component: { name: "HaSyncConfig", previous: ["pfsense-ha:pfsense:HaSyncConfigComponent"] },
  section: "hasync",
  secretSpec: true,
  peer: true,
  normalize: (_old, spec) => (spec.xmlrpc === undefined ? spec : { ...spec, xmlrpc: { ...spec.xmlrpc, disabledOptions: orderedOptions(spec.xmlrpc.disabledOptions ?? []) } }),
  identity: () => "hasync",
  validate: (s, i) => {
    if (i.role !== undefined && i.role !== "primary" && i.role !== "secondary") throw new ElementInputError("role", i.role, "use primary or secondary");
    if (i.role === "secondary" && s.xmlrpc !== undefined) {
      throw new Error("xmlrpc: set on the secondary; XMLRPC sync runs from the primary only (the secondary refuses a sync loop): drop xmlrpc from the secondary's spec");
    }
    // the newest schema here; the box's own one is checked when the edit runs
    validateHaSync(s, newestSchema());
  },
  upsert: (doc, s, schema) => upsertHaSync(doc, s, schema),
  remove: (doc, _s, schema) => void removeHaSync(doc, schema),
  read: (doc, s, schema) => {
    const found = readHaSync(doc, schema);
    // The port is not stored in <hasync>: it is the webGUI's, read as the XMLRPC client computes it.
    if (found?.xmlrpc && s.xmlrpc?.webguiPort !== undefined) found.xmlrpc.webguiPort = xmlrpcPortOf(doc);
    return found;
  },
  // pfsync switched off by hand while our settings are still there: drift (read as no pfsync interface), not gone.
  partial: (doc) => {
    const h = getPath(doc.root, "hasync");
    if (h === undefined || (child(h, "pfsyncinterface") === undefined && child(h, "synchronizetoip") === undefined)) return undefined;
    return { pfsyncInterface: "", pfsyncPeerIp: textIn(doc, child(h, "pfsyncpeerip")) ?? "" };
  },
  secrets: (s) => (s.xmlrpc ? [s.xmlrpc.password] : []),
  mirror: (item) => ({ ...item, spec: { pfsyncInterface: item.spec.pfsyncInterface, pfsyncPeerIp: item.primarySyncIp } }),
};
