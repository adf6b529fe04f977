// Types of the remote write protocol: an edit is a pure function over the parsed config.xml; a batch of edits
// is written with one install and applied with one run of pfSense's apply functions.
import type { PfConfigDoc } from "../codec";

/** What pfSense must re-apply after an install. Order of application: as listed here. */
export const APPLY_SECTIONS = ["interfaces", "routing", "vip", "hasync", "filter", "dhcp", "vpn", "system"] as const;
export type ApplySection = (typeof APPLY_SECTIONS)[number];

/** One resource's change to config.xml. `edit` may run several times (retries) on fresh documents. */
export interface ConfigEdit {
  /** Names the resource in the <revision> description and in errors (no secrets). */
  label: string;
  /** Mutates `doc`; throws (naming the field and the fix) when the edit cannot be made, e.g. a clash. */
  edit(doc: PfConfigDoc): void;
  /** After the install, on the document read back: undefined when the element is as written, else the problem. */
  verify?(doc: PfConfigDoc): string | undefined;
  /** Refuse config versions newer than the known ones unless set. */
  allowUnknownVersion?: boolean;
  /** Secret values in this edit (registered with the transport's redaction). */
  secrets?: string[];
}

/** Result of one batch run by the PHP install script (one JSON line on stdout). */
export interface InstallReport {
  ok: boolean;
  /** "conflict" = config.xml changed since it was read (retry); otherwise the failed step. */
  failedStep?: string;
  error?: string;
  /** The rollback copy of the previous config (kept only when the batch failed). */
  backupPath?: string;
  /** The new config.xml was put in place (an install happened, whatever came after). */
  installed?: boolean;
  restored?: boolean;
  applied?: string[];
  /** Sections a killed run had left pending (applied by this run). */
  pendingBefore?: string[];
}

/** Per-batch accounting (benchmarks and tests). */
export interface BatchStats {
  batches: number;
  installs: number;
  applies: number;
  conflicts: number;
  /** Installs reverted by an XMLRPC sync (seen on the read-back) and installed again. */
  reapplies: number;
  roundTrips: number;
}

/** Test seam: called between steps of a batch (e.g. to modify config.xml or cut the connection). */
export interface ProtocolHooks {
  afterRead?(hostKey: string, attempt: number): Promise<void>;
  afterUpload?(hostKey: string, attempt: number): Promise<void>;
  afterInstall?(hostKey: string, attempt: number): Promise<void>;
}
