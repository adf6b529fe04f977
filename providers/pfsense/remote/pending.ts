// Reading what a firewall holds, with the firewall named in every error (pure): its config.xml, and the pending
// apply work a killed run left (install-script.ts PENDING_PATH).
import { ConfigXmlError, parseConfigXml, type PfConfigDoc } from "../codec";
import { messageOf } from "../../error-message";
import { APPLY_SECTIONS, type ApplySection } from "./types";

/** config.xml text -> document; errors name the firewall, and a file that is not a pfSense config says so. */
export function parseBoxConfig(text: string, hostLabel: string): PfConfigDoc {
  let doc: PfConfigDoc;
  try {
    doc = parseConfigXml(text);
  } catch (e) {
    throw new ConfigXmlError(`${hostLabel}: /cf/conf/config.xml: ${messageOf(e)}`);
  }
  if (doc.root.tag !== "pfsense") {
    throw new ConfigXmlError(
      `${hostLabel}: /cf/conf/config.xml has the root element <${doc.root.tag}>, not <pfsense>: it is not a pfSense configuration ` +
        `(pfSense itself refuses it: "XML error: no pfsense object found!"); restore a pfSense config.xml (Diagnostics > Backup & Restore, or /cf/conf/backup/) before running again`,
    );
  }
  return doc;
}

export interface PendingApply {
  sections: ApplySection[];
  interfaces: string[];
}

/** The pending record's JSON (empty or unreadable = nothing pending). Unknown section names are dropped. */
export function parsePendingApply(text: string): PendingApply {
  let v: unknown;
  try {
    v = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch {
    return { sections: [], interfaces: [] };
  }
  const o = (typeof v === "object" && v !== null ? v : {}) as { sections?: unknown; interfaces?: unknown };
  const list = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : []);
  const known = APPLY_SECTIONS as readonly string[];
  return { sections: list(o.sections).filter((s): s is ApplySection => known.includes(s)), interfaces: list(o.interfaces) };
}
