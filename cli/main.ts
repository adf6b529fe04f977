// `pfsense-ha <command> [options]`: dispatches to one module per subcommand. Returns the process exit code.
// Adding a command = one line in COMMANDS (modules are loaded lazily so one command's imports never slow another).

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

type CommandLoader = () => Promise<Command>;

const COMMANDS: Record<string, CommandLoader> = {
  validate: async () => (await import("./validate")).validateCommand,
  verify: async () => (await import("./verify")).verifyCommand,
  drill: async () => (await import("./drill")).drillCommand,
  render: async () => (await import("./render")).renderCommand,
  bootstrap: async () => (await import("./bootstrap")).bootstrapCommand,
};

export function usage(): string {
  return [
    "usage: pfsense-ha <command> [options]",
    "",
    "commands:",
    ...Object.keys(COMMANDS).map((c) => `  ${c}`),
    "",
    "Run `pfsense-ha <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`pfsense-ha: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  return (await load()).run(rest);
}
