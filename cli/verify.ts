// `pfsense-ha verify --stack NAME [--json] [--window S]`: the HA health checks the guides end with, automated.
import { closeAllHosts } from "../providers/ssh";
import { formatJson, formatTable } from "../providers/verify/report";
import { verifyCluster } from "../providers/verify/run";
import { endpointWithEnvKey, secretsFromEnv, SECRET_ENV } from "../providers/verify/stack";
import { secondsFlag, startCommand } from "./start";
import type { Command } from "./main";

const HELP = `usage: pfsense-ha verify [--stack NAME | --file Pulumi.NAME.yaml] [--json] [--window S]

Connects to both firewalls and every Proxmox node (read-only) and checks: each VHID MASTER on the primary and
BACKUP on the secondary (exactly one MASTER), net.inet.carp.allow, maintenance mode off, pfsync up with the
configured peer, pf enabled, same config.xml <version>, the XMLRPC target set and reachable from the primary,
every VXLAN port realised (ofport, no error), its peer alive (BFD), its traffic counters moving, and config.xml
equal to what the stack writes (render --live).
  --json        machine-readable output
  --window S    seconds between the two traffic counter samples (default 2)
Secrets come from the environment only: ${SECRET_ENV.sshPrivateKey} (SSH key content, for hosts without a
key file), ${SECRET_ENV.carpPassword} / ${SECRET_ENV.xmlrpcPassword} (to compare passwords too; otherwise masked).
Exit codes: 0 all checks passed (warnings allowed), 1 a check failed, 2 usage or configuration error.`;

export const verifyCommand: Command = {
  summary: "check the running HA pair (CARP, pfsync, XMLRPC, VXLAN, drift) and print a table",
  async run(argv) {
    const start = startCommand("verify", argv, { booleans: ["json"], values: ["window"] }, HELP);
    if (typeof start === "number") return start;
    const { args, usage } = start;
    const windowS = secondsFlag(args.flags, "window", 2, 30);
    if (typeof windowS !== "number") return usage(windowS.error);
    const config = start.config();
    if (typeof config === "number") return config;
    const json = args.flags.json === true;
    try {
      const { checks } = await verifyCluster(config, {
        windowS,
        endpointOf: endpointWithEnvKey(process.env),
        secrets: secretsFromEnv(process.env),
        progress: (l) => console.error(l),
      });
      console.log(json ? formatJson(checks) : formatTable(checks));
      return checks.some((c) => c.status === "fail") ? 1 : 0;
    } finally {
      await closeAllHosts();
    }
  },
};
