// Reading a firewall's config.xml over SSH (refresh, version checks). The only I/O the resource kinds do
// besides the remote write protocol.
import { parseConfigXml, type PfConfigDoc } from "../codec";
import { CONFIG_PATH } from "../remote/install-script";
import { connectHost } from "../../ssh";
import type { SshEndpoint } from "../../ssh/types";

export async function readBoxConfig(endpoint: SshEndpoint): Promise<PfConfigDoc> {
  const host = await connectHost(endpoint);
  return parseConfigXml((await host.readFile(CONFIG_PATH)).toString("utf8"));
}
