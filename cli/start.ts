// The one start-up of every command: `--stack NAME | --file F` plus the command's own flags, read with node:util's
// parseArgs; `--help`/`-h` prints the command's help (exit 0); a usage error prints `pfsense-ha <command>: <what>`
// with the help (exit 2); the stack file is validated before any host is touched (its problems, exit 2).
import * as path from "path";
import { parseArgs } from "node:util";
import { stackFilePath } from "../config/load";
import type { ClusterConfig } from "../config/types";
import { loadStackConfig, type StackFile } from "../providers/verify/stack";

export interface FlagSpec {
  /** Flags without a value. */
  booleans: string[];
  /** Flags taking a value (`--x V` or `--x=V`). */
  values: string[];
}

export interface ParsedArgs extends StackFile {
  flags: Record<string, string | true>;
}

/**
 * `--stack NAME | --file F` and the command's own flags; an error message instead of throwing. Arguments are read in
 * order: the first unknown option, positional argument or missing value is the error, a `--help` before it wins.
 */
export function parseStackArgs(argv: string[], spec: FlagSpec, cwd: string, env: NodeJS.ProcessEnv): ParsedArgs | { help: true } | { error: string } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const name of ["stack", "file", ...spec.values]) options[name] = { type: "string" };
  for (const name of spec.booleans) options[name] = { type: "boolean" };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  let stack: string | undefined;
  let file: string | undefined;
  const flags: Record<string, string | true> = {};
  for (const t of tokens) {
    if (t.kind === "positional") return { error: `unknown option ${JSON.stringify(t.value)}` };
    if (t.kind === "option-terminator") return { error: 'unknown option "--"' };
    const raw = t.inlineValue ? `${t.rawName}=${t.value ?? ""}` : t.rawName;
    if (t.name === "help" && !t.inlineValue) return { help: true };
    const type = Object.hasOwn(options, t.name) && t.name !== "help" ? options[t.name].type : undefined;
    if (type === "boolean" && !t.inlineValue) {
      flags[t.name] = true;
      continue;
    }
    if (type !== "string") return { error: `unknown option ${JSON.stringify(raw)}` };
    if (!t.value) return { error: `${t.rawName} needs a value` };
    if (t.name === "stack") stack = t.value;
    else if (t.name === "file") file = t.value;
    else flags[t.name] = t.value;
  }
  if (stack && file) return { error: "give either --stack or --file, not both" };
  if (file) return { file: path.resolve(cwd, file), flags };
  const name = stack ?? env.PULUMI_STACK ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return { error: `invalid stack name ${JSON.stringify(name)}` };
  return { file: stackFilePath(name, cwd), stack: name, flags };
}

/** Whole seconds (or fractions when `fraction`) from a flag, or a usage error naming it. */
export function secondsFlag(flags: ParsedArgs["flags"], name: string, def: number, max: number, fraction = false): number | { error: string } {
  const raw = flags[name];
  if (raw === undefined) return def;
  const n = Number(raw);
  const ok = typeof raw === "string" && Number.isFinite(n) && n >= 0 && n <= max && (fraction || Number.isInteger(n));
  return ok ? n : { error: `--${name} ${JSON.stringify(raw)} is invalid: use ${fraction ? "a number of" : "whole"} seconds from 0 to ${max}` };
}

export interface Started {
  args: ParsedArgs;
  /** Prints `pfsense-ha <command>: <message>` on stderr; returns the usage exit code (2). */
  usage(message: string): number;
  /** The stack's validated cluster, or the exit code (2) after printing its problems. */
  config(): ClusterConfig | number;
}

/** Parses the command line of `command`: the parsed arguments, or the exit code when it printed help or a usage error. */
export function startCommand(command: string, argv: string[], spec: FlagSpec, help: string): Started | number {
  const args = parseStackArgs(argv, spec, process.cwd(), process.env);
  if ("help" in args) {
    console.log(help);
    return 0;
  }
  const usage = (message: string): number => {
    console.error(`pfsense-ha ${command}: ${message}`);
    return 2;
  };
  if ("error" in args) return usage(`${args.error}\n\n${help}`);
  const config = (): ClusterConfig | number => {
    const loaded = loadStackConfig(args);
    if ("config" in loaded) return loaded.config;
    console.error(loaded.error);
    return 2;
  };
  return { args, usage, config };
}
