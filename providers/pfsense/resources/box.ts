// Reading a firewall's config.xml over SSH (refresh, version checks), and the apply work a killed run left pending.
// The only I/O the resource kinds do besides the remote write protocol.
import type { PfConfigDoc } from "../codec";
import { CONFIG_PATH, PENDING_PATH } from "../remote/install-script";
import { parseBoxConfig, parsePendingApply, type PendingApply } from "../remote/pending";
import { connectHost, endpointLabel } from "../../ssh";
import type { SshEndpoint } from "../../ssh/types";

export async function readBoxConfig(endpoint: SshEndpoint): Promise<PfConfigDoc> {
  const host = await connectHost(endpoint);
  return parseBoxConfig((await host.readFile(CONFIG_PATH)).toString("utf8"), endpointLabel(endpoint));
}

/** Apply work recorded before an install and not yet done (a run killed between install and apply). */
export async function readPendingApply(endpoint: SshEndpoint): Promise<PendingApply> {
  const host = await connectHost(endpoint);
  return parsePendingApply((await host.exec(`cat ${PENDING_PATH} 2>/dev/null || true`)).stdout);
}
