// Which config.xml <version>s the protocol writes (pfSense globals.inc, latest_config per release): 22.9 = 2.7.0, 23.3 = 2.7.1/2.7.2,
// 23.5-24.1 = 2.8.x. Older ones are refused; newer ones only with an explicit override.
import type { PfConfigDoc } from "../codec";
import { getPath, textIn } from "../codec-tree";

// One implementation of the same-version rule (XMLRPC sync refuses different versions): version.ts's.
export { assertSameVersion } from "../version";

export const MIN_KNOWN_VERSION = 22.9;
export const MAX_KNOWN_VERSION = 24.1;

export type SchemaGeneration = "2.7.0" | "2.7.1+";

export function configVersionOf(doc: PfConfigDoc): string {
  const v = textIn(doc, getPath(doc.root, "version"));
  if (v === undefined || !/^\d+\.\d+$/.test(v)) {
    throw new Error(`config.xml <version> is ${JSON.stringify(v ?? null)}: expected a config version like 23.3`);
  }
  return v;
}

/** Throws a clear message when the box's config version is not supported. */
export function assertSupportedVersion(version: string, hostLabel: string, allowUnknown: boolean): void {
  const n = Number(version);
  if (n < MIN_KNOWN_VERSION) {
    throw new Error(
      `${hostLabel}: config.xml <version> ${version} is older than pfSense 2.7.0 (22.9): upgrade pfSense to 2.7.0 or later`,
    );
  }
  if (n > MAX_KNOWN_VERSION && !allowUnknown) {
    throw new Error(
      `${hostLabel}: config.xml <version> ${version} is newer than the known ones (${MIN_KNOWN_VERSION}-${MAX_KNOWN_VERSION}, ` +
        `pfSense 2.7.0-2.8.x): set allowUnknownVersion: true on the resource to write it anyway`,
    );
  }
}

/** The outbound-NAT schema changed with config 23.0 (2.7.1, upgrade_229_to_230). */
export function schemaGeneration(version: string): SchemaGeneration {
  return Number(version) < 23.0 ? "2.7.0" : "2.7.1+";
}
