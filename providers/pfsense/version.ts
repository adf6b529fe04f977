// The one pfSense version gate: config.xml <version> → the schema the element edits write (pfSense globals.inc:
// latest_config per release branch: 22.9 = 2.7.0, 23.3 = 2.7.1/2.7.2, 23.5-24.1 = 2.8.x). Older ones are refused;
// newer ones only with an explicit override (allowUnknownVersion on the resource). The write protocol, every element
// resource and the HA sync check all go through schemaForVersion.
import type { PfConfigDoc } from "./codec";
import { getPath, textIn } from "./codec-tree";

export interface PfSchema {
  version: string;
  /** pfSense release family this config version belongs to. */
  release: "2.7.0" | "2.7.1/2.7.2" | "2.8.x" | "unknown-newer";
  /** Outbound NAT target: "legacy" = 2.7.0 (<target> only), "split" = 2.7.1+ (<target> + <target_subnet>, upgrade_229_to_230). */
  natTarget: "legacy" | "split";
  /** hasync/synchronizekea6 exists (2.8.0, commit a4cd7de1). */
  kea6Sync: boolean;
  /** filter rules carry <statepolicy> (2.8.0, 22de584b). */
  statePolicy: boolean;
  /**
   * A new port forward leaves an empty <nat><separator> (2.7 tree: saveNATrule()'s init_config_arr(['nat',
   * 'separator'])); the 2.8 tree (add_rdr_rules()) writes separators only when they move.
   */
  natSeparatorInit?: boolean;
}

export const OLDEST_SUPPORTED = 22.9;
export const NEWEST_KNOWN = 24.1;

/** Map a `<version>` to its schema; refuses < 22.9 always and > 24.1 unless allowUnknown. */
export function schemaForVersion(version: string, allowUnknown = false): PfSchema {
  if (!/^\d+\.\d+$/.test(version)) {
    throw new Error(`config.xml <version>: ${JSON.stringify(version)} is not a config version; expected e.g. "23.3" (read from the box)`);
  }
  const n = Number(version);
  if (n < OLDEST_SUPPORTED) {
    throw new Error(`config.xml <version> ${version} is older than pfSense 2.7.0 (${OLDEST_SUPPORTED}); upgrade the firewall to 2.7.0 or later`);
  }
  if (n > NEWEST_KNOWN && !allowUnknown) {
    throw new Error(
      `config.xml <version> ${version} is newer than the known ones (${OLDEST_SUPPORTED}-${NEWEST_KNOWN}, pfSense 2.7.0-2.8.x): ` +
        `check the schema notes for that release and set allowUnknownVersion: true on the resource to write it anyway`,
    );
  }
  const release = n < 23.0 ? "2.7.0" : n <= 23.3 ? "2.7.1/2.7.2" : n <= NEWEST_KNOWN ? "2.8.x" : "unknown-newer";
  return { version, release, natTarget: n < 23.0 ? "legacy" : "split", kea6Sync: n >= 23.4, statePolicy: n >= 23.4, natSeparatorInit: n < 23.4 };
}

/** The newest schema this code knows (checks that do not depend on a box: input validation, option order). */
export function newestSchema(): PfSchema {
  return schemaForVersion(String(NEWEST_KNOWN));
}

export function versionOf(doc: PfConfigDoc): string {
  const v = textIn(doc, getPath(doc.root, "version"));
  if (v === undefined) throw new Error("config.xml has no <version>; expected pfSense's config.xml");
  return v;
}

export function schemaOf(doc: PfConfigDoc, allowUnknown = false): PfSchema {
  return schemaForVersion(versionOf(doc), allowUnknown);
}

/** rc.filter_synchronize aborts unless the peer's config version equals ours (carp_check_version). */
export function assertSameVersion(primary: { name: string; version: string }, secondary: { name: string; version: string }): void {
  if (primary.version === secondary.version) return;
  const older = Number(primary.version) < Number(secondary.version) ? primary : secondary;
  const newer = older === primary ? secondary : primary;
  throw new Error(
    `XMLRPC sync refuses different versions: ${primary.name} has config <version> ${primary.version}, ` +
      `${secondary.name} has ${secondary.version}; upgrade ${older.name} to the release ${newer.name} runs`,
  );
}
