// The one quoting helper for every value that reaches a remote POSIX shell.
// Single quotes make everything literal; an embedded ' becomes '\'' (close, escaped quote, reopen).

/** Quote one argument for /bin/sh. NUL cannot be passed through a shell at all, so it is refused. */
export function shq(value: string | number): string {
  const s = String(value);
  if (s.includes("\0")) {
    throw new Error("shell argument contains a NUL byte; such a value cannot be passed to a remote shell");
  }
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s; // nothing the shell would interpret
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Join a command and its arguments, quoting each argument. */
export function shCommand(argv: ReadonlyArray<string | number>): string {
  return argv.map(shq).join(" ");
}

/** Linux interface / OVS bridge / port names: at most 15 characters of [A-Za-z0-9_.-] (IFNAMSIZ - 1). */
/** 1-15 characters from [A-Za-z0-9_.-], not starting with "-" (a command would read it as an option). */
export const IFNAME_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/;

/** Throws a clear error (naming the field) unless `name` is a valid interface/bridge/port name. */
export function assertIfName(field: string, name: string): string {
  if (!IFNAME_PATTERN.test(name) || name === "." || name === "..") {
    throw new Error(
      `${field}: ${JSON.stringify(name)} is not a valid interface name; use 1-15 characters from [A-Za-z0-9_.-], not starting with "-" ` +
        `(Linux limits interface names to 15 characters)`,
    );
  }
  return name;
}
