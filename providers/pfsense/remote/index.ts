// The remote write protocol used by every pfSense resource.
export type { ApplySection, BatchStats, ConfigEdit, InstallReport, ProtocolHooks } from "./types";
export { APPLY_SECTIONS } from "./types";
export { submitEdit, protocolStats, resetProtocolStats, setProtocolHooks, setBatching } from "./queue";
export { runBatch, MAX_ATTEMPTS } from "./session";
export { buildInstallScript, parseInstallReport, revisionDescription, CONFIG_PATH } from "./install-script";
export { assertSameVersion, schemaForVersion, versionOf } from "../version";
export { setSyncSettleMs, SYNC_SETTLE_MS } from "./settle";
