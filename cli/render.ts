// `pfsense-ha render --stack NAME [--against FILE | --live] [--role primary|secondary]`: the config.xml changes the
// stack would make on each firewall, as a unified diff (secrets masked), for review in pull requests.
import * as fs from "fs";
import * as path from "path";
import type { FirewallRole } from "../config/types";
import { closeAllHosts, connectHost } from "../providers/ssh";
import { CONFIG_PATH } from "../providers/pfsense/remote/install-script";
import { renderFirewall } from "../providers/verify/render";
import { endpointWithEnvKey, secretsFromEnv, SECRET_ENV } from "../providers/verify/stack";
import { startCommand } from "./start";
import type { Command } from "./main";

/** The project root: this file runs from cli/ (sources) or from dist/cli/ (compiled, `npm run build`). */
const ROOT = path.basename(path.dirname(__dirname)) === "dist" ? path.join(__dirname, "..", "..") : path.join(__dirname, "..");
export const FACTORY_CONFIG = path.join(ROOT, "tests", "fixtures", "pfsense-factory-config.xml");

const HELP = `usage: pfsense-ha render [--stack NAME | --file Pulumi.NAME.yaml] [--against FILE | --live] [--role primary|secondary]

Prints, per firewall, the unified diff between its current config.xml and the config.xml the stack's providers
would write (the same element edits, in apply order). Offline by default.
  --against FILE  the current config.xml to compare with (default: pfSense's factory config.xml,
                  tests/fixtures/pfsense-factory-config.xml)
  --live          read each firewall's /cf/conf/config.xml over SSH instead
  --role R        only this firewall (primary or secondary)
Passwords are shown as ******** on both sides unless ${SECRET_ENV.carpPassword} / ${SECRET_ENV.xmlrpcPassword} are
set (they are still masked in the output). <revision> is written by pfSense on install and is not part of the diff.
Exit codes: 0 printed (also when changes are pending), 1 a firewall could not be rendered, 2 usage error.`;

export const renderCommand: Command = {
  summary: "print the config.xml changes each firewall would get (unified diff)",
  async run(argv) {
    const start = startCommand("render", argv, { booleans: ["live"], values: ["against", "role"] }, HELP);
    if (typeof start === "number") return start;
    const { args, usage } = start;
    const role = args.flags.role;
    if (role !== undefined && role !== "primary" && role !== "secondary") return usage(`--role ${JSON.stringify(role)} is invalid: use primary or secondary`);
    if (args.flags.live && args.flags.against) return usage("give either --against FILE or --live, not both");
    const config = start.config();
    if (typeof config === "number") return config;
    const roles: FirewallRole[] = role ? [role] : ["primary", "secondary"];
    const secrets = secretsFromEnv(process.env);
    const endpointOf = endpointWithEnvKey(process.env);
    let rc = 0;
    try {
      for (const r of roles) {
        const fw = config.firewalls[r];
        let current: string;
        let source: string;
        try {
          if (args.flags.live) {
            console.error(`reading ${CONFIG_PATH} from ${fw.name}…`);
            current = (await (await connectHost(endpointOf(fw.ssh))).readFile(CONFIG_PATH)).toString("utf8");
            source = `config.xml (live ${fw.ssh.host})`;
          } else {
            const file = typeof args.flags.against === "string" ? path.resolve(args.flags.against) : FACTORY_CONFIG;
            current = fs.readFileSync(file, "utf8");
            source = path.basename(file);
          }
          const out = renderFirewall(config, r, current, { secrets, source });
          const note = out.secretsCompared ? "" : ` (passwords not compared: set ${SECRET_ENV.carpPassword} and ${SECRET_ENV.xmlrpcPassword} to compare them)`;
          console.error(`${fw.name} (${r}): ${out.diff ? `${out.changes.length} element change(s)` : "config.xml unchanged"}${note}`);
          process.stdout.write(out.diff);
        } catch (e) {
          console.error(`${fw.name} (${r}): cannot render: ${(e as Error).message}\n  -> ${args.flags.live ? "check SSH access to the firewall" : "pass a pfSense config.xml with --against"}`);
          rc = 1;
        }
      }
    } finally {
      await closeAllHosts();
    }
    return rc;
  },
};
