// `pfsense-ha validate [--stack NAME | --file Pulumi.NAME.yaml]`: every problem at once (exit 1) or a one-line
// summary (exit 0). Works offline on the stack file: `secure:` secrets count as present and are never decrypted.
import * as path from "path";
import { stackFilePath, validateStackFile } from "../config/load";
import { formatProblem } from "../config/problems";
import { summarizeCluster } from "../config/summary";
import type { Command } from "./main";

const HELP = `usage: pfsense-ha validate [--stack NAME | --file Pulumi.NAME.yaml]

Checks a stack's pfsense-ha configuration without touching any host.
  --stack NAME   validate Pulumi.NAME.yaml in the current directory (default: $PULUMI_STACK or "dev")
  --file PATH    validate this stack file
  --allow-missing-secrets
                 do not report secrets that are not set yet (empty ones still are); for CI before they are generated
Exit codes: 0 valid (prints a summary), 1 invalid (prints every problem), 2 usage error.`;

export interface ValidateArgs {
  file: string;
  stack?: string;
  allowMissingSecrets: boolean;
}

/** Parses the command line; returns a usage error message instead of throwing. */
export function parseValidateArgs(argv: string[], cwd: string, env: NodeJS.ProcessEnv): ValidateArgs | { help: true } | { error: string } {
  let stack: string | undefined;
  let file: string | undefined;
  let allowMissingSecrets = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--allow-missing-secrets") {
      allowMissingSecrets = true;
      continue;
    }
    const eq = /^(--stack|--file)=(.*)$/.exec(a);
    const flag = eq ? eq[1] : a;
    if (flag === "--help" || flag === "-h") return { help: true };
    if (flag !== "--stack" && flag !== "--file") return { error: `unknown option ${JSON.stringify(a)}` };
    const value = eq ? eq[2] : argv[++i];
    if (!value) return { error: `${flag} needs a value` };
    if (flag === "--stack") stack = value;
    else file = value;
  }
  if (stack && file) return { error: "give either --stack or --file, not both" };
  if (file) return { file: path.resolve(cwd, file), allowMissingSecrets };
  const name = stack ?? env.PULUMI_STACK ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return { error: `invalid stack name ${JSON.stringify(name)}` };
  return { file: stackFilePath(name, cwd), stack: name, allowMissingSecrets };
}

export const validateCommand: Command = {
  summary: "check a stack's configuration and print every problem",
  async run(argv) {
    const args = parseValidateArgs(argv, process.cwd(), process.env);
    if ("help" in args) {
      console.log(HELP);
      return 0;
    }
    if ("error" in args) {
      console.error(`pfsense-ha validate: ${args.error}\n\n${HELP}`);
      return 2;
    }
    const result = validateStackFile(args.file, { stackName: args.stack, allowMissingSecrets: args.allowMissingSecrets });
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
