// One batch on one host: read config.xml -> apply every edit locally -> upload -> install + apply with PHP
// (only if config.xml is unchanged, else re-read and retry) -> read back and verify each edit.
import { randomBytes } from "crypto";
import { sha256 } from "../../digest";
import { buildConfigXml } from "../codec";
import type { PfConfigDoc } from "../codec";
import { cloneElement, getPath, textIn } from "../codec-tree";
import { protocolSyncSettleMs, XMLRPC_LOCK_PATH } from "./settle";
import { shq } from "../../shell/quote";
import type { SshHost } from "../../ssh/types";
import { redactedError } from "../../ssh/redact";
import { messageOf } from "../../error-message";
import { buildInstallScript, CONFIG_PATH, EXIT_CONFLICT, PENDING_PATH, parseInstallReport, revisionDescription, type InstallParams } from "./install-script";
import { parseBoxConfig, parsePendingApply } from "./pending";
import { reverted, snapshotSections, touchedSections } from "./sections";
import type { BatchStats, ConfigEdit, InstallReport, ProtocolHooks } from "./types";
import { schemaForVersion, versionOf } from "../version";

/**
 * Attempts of one batch before it gives up on another writer. Each conflict (config.xml changed between our read and
 * our install) or revert (an XMLRPC sync wrote back a copy loaded before our install) costs one. Under syncs sent back
 * to back, an attempt at a random moment is lost about one time in three on an idle machine and nearly always on a
 * loaded one (pfsense-sync.test.ts prints the figures), so a retry on a node that receives syncs waits for the gap
 * after a sync (readUnderSyncLock) and other retries pause at random (retryDelayMs). Twelve attempts then give up only
 * when something writes config.xml without pause.
 */
export const MAX_ATTEMPTS = 12;

/**
 * The pause before attempt `attempt` (2..MAX_ATTEMPTS) on a node that receives no syncs: a random time up to
 * 100 ms x 2^(attempt-1), at most 1.6 s, so a retry does not meet another periodic writer in the same phase each time.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  if (attempt <= 1) return 0;
  return Math.floor(random() * Math.min(1600, 100 * 2 ** (attempt - 1)));
}
export const PHP = "/usr/local/bin/php";

/** Each edit's own outcome: the config version it was written to, or its error. */
export type EditOutcome = { ok: true; version: string } | { ok: false; error: Error };

export interface BatchOptions {
  hostKey: string;
  hostLabel: string;
  hooks?: ProtocolHooks;
  stats?: BatchStats;
}

function count(stats: BatchStats | undefined, k: keyof BatchStats, n = 1): void {
  if (stats) stats[k] += n;
}

/** Runs the batch; never throws for one edit's failure (see outcomes); throws nothing: host errors fail every edit. */
export async function runBatch(host: SshHost, edits: ConfigEdit[], opts: BatchOptions): Promise<EditOutcome[]> {
  // Every error leaves redacted: PHP's stderr or an exception text could quote a CARP/XMLRPC password.
  const secrets = edits.flatMap((e) => e.secrets ?? []);
  try {
    const outcomes = await runBatchOrThrow(host, edits, opts);
    return outcomes.map((o) => (o.ok ? o : { ok: false as const, error: redactedError(o.error.message, secrets) }));
  } catch (e) {
    const error = redactedError(messageOf(e), secrets);
    return edits.map(() => ({ ok: false as const, error }));
  }
}

async function runBatchOrThrow(host: SshHost, edits: ConfigEdit[], opts: BatchOptions): Promise<EditOutcome[]> {
  const { stats, hooks } = opts;
  count(stats, "batches");
  const started = Date.now();
  let receiver = false; // the node receives XMLRPC syncs (known from the first read)
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // A retry on a node that receives syncs starts right after the next sync's write (see readUnderSyncLock): an
    // install made then lands before the following sync loads config.xml, where a random moment under a stream of
    // syncs falls inside one about one time in three and, on a loaded machine, nearly always.
    if (!receiver) await sleep(retryDelayMs(attempt));
    const raw = receiver && attempt > 1 ? await readUnderSyncLock(host, SYNC_WRITE_WAIT_MS) : await host.readFile(CONFIG_PATH);
    count(stats, "roundTrips");
    await hooks?.afterRead?.(opts.hostKey, attempt);
    const doc = parseBoxConfig(raw.toString("utf8"), opts.hostLabel);
    receiver = !isSyncSource(doc);
    const version = versionOf(doc);
    const before = snapshotSections(doc);
    const outcomes: EditOutcome[] = edits.map((e) => editOne(doc, e, version, opts.hostLabel));
    const landed = edits.filter((_, i) => outcomes[i].ok);
    if (landed.length === 0) return outcomes;
    const touched = touchedSections(before, doc);
    if (touched.sections.length === 0) {
      // Already as desired: no install. A run killed between install and apply left its work pending: apply it.
      const pending = parsePendingApply((await host.exec(`cat ${PENDING_PATH} 2>/dev/null || true`)).stdout);
      count(stats, "roundTrips");
      if (pending.sections.length === 0) return outcomes;
      const report = await runInstallScript(host, { configPath: CONFIG_PATH, uploadedPath: "", expectedSha256: "", description: "", sections: [], interfaces: [], pendingPath: PENDING_PATH, applyOnly: true }, opts);
      if (!report.ok) throw new Error(failureMessage(opts.hostLabel, report));
      count(stats, "applies");
      return outcomes;
    }
    const uploaded = `/cf/conf/.pfha-${randomBytes(6).toString("hex")}.xml`;
    try {
      await host.upload(uploaded, buildConfigXml(doc), 0o600);
    } catch (e) {
      const m = messageOf(e);
      // The upload's temp file is removed on failure (uploadCommand); say plainly when the disk is full.
      throw new Error(/no space/i.test(m) ? `${opts.hostLabel}: no space left on /cf/conf for the new config (nothing was changed); free space there and re-run: ${m}` : m, { cause: e });
    }
    count(stats, "roundTrips");
    await hooks?.afterUpload?.(opts.hostKey, attempt);
    const script = buildInstallScript({
      configPath: CONFIG_PATH,
      uploadedPath: uploaded,
      expectedSha256: sha256(raw),
      description: revisionDescription(landed.map((e) => e.label)),
      sections: touched.sections,
      interfaces: touched.interfaces,
      pendingPath: PENDING_PATH,
    });
    const res = await execInstall(host, script);
    count(stats, "roundTrips");
    const report = parseInstallReport(res.stdout);
    if (res.code === EXIT_CONFLICT && report?.failedStep === "conflict") {
      count(stats, "conflicts");
      continue;
    }
    if (report === undefined) throw new Error(noReportMessage(opts.hostLabel, res));
    count(stats, "installs", report.installed ? 1 : 0);
    if (!report.ok) throw new Error(failureMessage(opts.hostLabel, report));
    count(stats, "applies");
    await hooks?.afterInstall?.(opts.hostKey, attempt);
    // A node that receives XMLRPC syncs can lose this install to one: pfSense's xmlrpc.php loads $config when its
    // includes run (before it takes lock('xmlrpc')), merges the primary's sections into that copy and writes it
    // back whole, so a sync that loaded before our install and writes after it reverts everything we wrote (our
    // interfaces and pfsync settings on the secondary included). No lock of ours can exclude that (the load happens
    // outside any lock), so the write is verified instead: after a settle window longer than a sync's load-to-lock
    // time, config.xml is read back under lock('xmlrpc') (so a sync in its merge is waited for) and every edit of the
    // batch is replayed on it (edits are idempotent). If the replay changes anything, a sync reverted us and the
    // batch is installed again on the fresh document (the sync's own changes kept). A sync that starts after our
    // install loads our config and keeps it. The primary (it sends syncs, none come in) reads back at once.
    if (receiver) await sleep(protocolSyncSettleMs());
    const after = parseBoxConfig((receiver ? await readUnderSyncLock(host) : await host.readFile(CONFIG_PATH)).toString("utf8"), opts.hostLabel);
    count(stats, "roundTrips");
    if (reverted(after, landed)) {
      count(stats, "reapplies");
      continue;
    }
    return outcomes.map((o, i) => {
      if (!o.ok) return o;
      const problem = edits[i].verify?.(after);
      return problem === undefined
        ? o
        : { ok: false as const, error: new Error(`${opts.hostLabel}: ${edits[i].label}: read back after install: ${problem}`) };
    });
  }
  throw new Error(
    `${opts.hostLabel}: config.xml kept changing (or our install kept being reverted by XMLRPC syncs) while we wrote it (${MAX_ATTEMPTS} attempts in ${((Date.now() - started) / 1000).toFixed(1)} s): ` +
      `another writer is busy; retry when it is done`,
  );
}

/** How long a retry on a node that receives syncs waits for the next sync's write before it reads anyway. */
export const SYNC_WRITE_WAIT_MS = 1200;

/**
 * config.xml read while holding pfSense's lock('xmlrpc') shared: an XMLRPC sync holding it (from before its merge to
 * after its write and apply) is waited for, so what is read is never older than a sync that had already reached its
 * merge. With `awaitWriteMs`, the read first waits (at most that long) for config.xml to be replaced (write_config()
 * renames a new file into place), so under a stream of syncs it comes right after one has written and released the
 * lock: the primary then needs a whole round (its script, the first XMLRPC call, xmlrpc.php's includes) before the
 * next sync loads config.xml. The wait uses time_nanosleep, which the lab's scaling of sleep()/usleep() leaves alone.
 */
async function readUnderSyncLock(host: SshHost, awaitWriteMs = 0): Promise<Buffer> {
  const path = JSON.stringify(CONFIG_PATH);
  const awaitWrite =
    awaitWriteMs > 0
      ? `$id = function () { clearstatcache(); $s = @stat(${path}); return $s === false ? "" : "{$s["ino"]}:{$s["size"]}:{$s["mtime"]}"; }; ` +
        `$s0 = $id(); $end = microtime(true) + ${awaitWriteMs / 1000}; while (microtime(true) < $end && $id() === $s0) time_nanosleep(0, 20000000); `
      : "";
  const lock = JSON.stringify(XMLRPC_LOCK_PATH);
  const php = `${awaitWrite}$f = fopen(${lock}, "c"); if ($f === false || !flock($f, LOCK_SH)) exit(3); @chmod(${lock}, 0666); exit(readfile(${path}) === false ? 4 : 0);`;
  const r = await host.exec(`${PHP} -r ${shq(php)}`, { timeoutMs: 300000 });
  if (r.code !== 0) throw new Error(`reading ${CONFIG_PATH} under ${XMLRPC_LOCK_PATH} failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
  return Buffer.from(r.stdout, "utf8");
}

/** The primary of an HA pair sends XMLRPC syncs (hasync/synchronizetoip set): nobody syncs into it. */
function isSyncSource(doc: PfConfigDoc): boolean {
  const h = getPath(doc.root, "hasync/synchronizetoip");
  return (textIn(doc, h) ?? "").trim() !== "";
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

interface ExecOutcome {
  code: number | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
}

async function execInstall(host: SshHost, script: string): Promise<ExecOutcome> {
  // A cut connection must not stop an install/apply half way: HUP and PIPE are ignored (inherited by php), so
  // the script runs to its end and the config on the box is applied even if we never hear the result.
  // zend.exception_ignore_args: an uncaught exception's trace on stderr (quoted in our error) must not print the
  // arguments of pfSense's functions, which include CARP/XMLRPC passwords (PHP's built-in default prints them).
  return host.exec(`trap '' HUP PIPE; exec ${PHP} -d display_errors=stderr -d zend.exception_ignore_args=1`, { stdin: script, timeoutMs: 300000 });
}

async function runInstallScript(host: SshHost, params: InstallParams, opts: BatchOptions): Promise<InstallReport> {
  const res = await execInstall(host, buildInstallScript(params));
  count(opts.stats, "roundTrips");
  const report = parseInstallReport(res.stdout);
  if (report === undefined) throw new Error(noReportMessage(opts.hostLabel, res));
  return report;
}

/**
 * No report line: the script was killed, or pfSense's PHP stopped it (die()/exit() print their reason on stdout,
 * e.g. "XML error: no pfsense object found!"). The reason is quoted; a killed apply is recorded as pending
 * (PENDING_PATH), so the next run applies it.
 */
function noReportMessage(hostLabel: string, res: ExecOutcome): string {
  const out = res.stdout.trim().slice(-300);
  const err = res.stderr.trim().slice(-300);
  const how = res.signal ? `was killed (${res.signal})` : res.code === 0 ? "stopped before reporting (exit 0)" : `was cut or crashed (exit ${res.code})`;
  return (
    `${hostLabel}: the install script ${how}` +
    (out ? `; it printed: ${out}` : "") +
    (err ? `; stderr: ${err}` : "") +
    `. config.xml is either the old or the new document (writes are atomic renames), and an install that was not applied ` +
    `is recorded as pending work (${PENDING_PATH}): \`pulumi refresh\` shows it as drift and the next \`pulumi up\` applies it`
  );
}

function editOne(doc: PfConfigDoc, e: ConfigEdit, version: string, hostLabel: string): EditOutcome {
  const saved = cloneElement(doc.root); // a failed edit must not leave half its changes in the batch
  try {
    schemaForVersion(version, e.allowUnknownVersion === true);
    e.edit(doc);
    return { ok: true, version };
  } catch (err) {
    doc.root = saved;
    return { ok: false, error: new Error(`${hostLabel}: ${e.label}: ${messageOf(err)}`) };
  }
}

function failureMessage(hostLabel: string, r: InstallReport): string {
  const where = r.backupPath ? `; the previous config is in ${r.backupPath}` : "";
  const restored =
    r.restored === true ? " (the previous config was restored and re-applied)" : r.restored === false ? " (RESTORE FAILED)" : "";
  return `${hostLabel}: ${r.failedStep ?? "install"} failed: ${r.error ?? "unknown error"}${restored}${where}`;
}
