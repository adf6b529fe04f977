// `pfsense-ha validate [--stack NAME | --file Pulumi.NAME.yaml]`: every problem at once (exit 1) or a one-line
// summary (exit 0). Works offline on the stack file: `secure:` secrets count as present and are never decrypted.
import * as path from "path";
import { validateStackFile } from "../config/load";
import { formatProblem } from "../config/problems";
import { summarizeCluster } from "../config/summary";
import type { Command } from "./main";
import { startCommand } from "./start";

const HELP = `usage: pfsense-ha validate [--stack NAME | --file Pulumi.NAME.yaml]

Checks a stack's pfsense-ha configuration without touching any host.
  --stack NAME   validate Pulumi.NAME.yaml in the current directory (default: $PULUMI_STACK or "dev")
  --file PATH    validate this stack file
  --allow-missing-secrets
                 do not report secrets that are not set yet (empty ones still are); for CI before they are generated
Exit codes: 0 valid (prints a summary), 1 invalid (prints every problem), 2 usage error.`;

export const validateCommand: Command = {
  summary: "check a stack's configuration and print every problem",
  async run(argv) {
    const start = startCommand("validate", argv, { booleans: ["allow-missing-secrets"], values: [] }, HELP);
    if (typeof start === "number") return start;
    const { args } = start;
    const result = validateStackFile(args.file, { stackName: args.stack, allowMissingSecrets: args.flags["allow-missing-secrets"] === true });
    for (const w of result.warnings ?? []) console.error(`warning: ${formatProblem(w)}`);
    if (result.config) {
      console.log(summarizeCluster(result.config));
      return 0;
    }
    const n = result.problems.length;
    const rel = path.relative(process.cwd(), args.file);
    console.error(`${rel && !rel.startsWith("..") ? rel : args.file}: ${n} problem${n === 1 ? "" : "s"}:`);
    for (const p of result.problems) console.error(`  - ${formatProblem(p)}`);
    return 1;
  },
};
