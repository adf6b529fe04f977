// Remote command builders for file transfer (pure). Every value goes through shq().
import { shq } from "../shell/quote";

/** An absolute path to a file (not a directory), free of NUL and newlines. */
export function assertRemoteFilePath(field: string, path: string): string {
  if (typeof path !== "string" || !path.startsWith("/") || path.endsWith("/") || /[\0\n\r]/.test(path) || /(^|\/)\.\.?(\/|$)/.test(path)) {
    throw new Error(
      `${field}: ${JSON.stringify(path)} is not an absolute file path; use a path like "/etc/network/interfaces" ` +
        `(absolute, no "." or ".." segments, no trailing "/", no newline)`,
    );
  }
  return path;
}

/** File mode as octal digits for chmod; accepts 0..0o7777. */
export function octalMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new Error(`upload mode: ${JSON.stringify(mode)} is not a file mode; use an integer such as 0o644 or 0o600`);
  }
  return mode.toString(8).padStart(4, "0");
}

function splitPath(path: string): { dir: string; base: string } {
  const i = path.lastIndexOf("/");
  return { dir: i === 0 ? "/" : path.slice(0, i), base: path.slice(i + 1) };
}

/**
 * Atomic write with the content on stdin: a temp file in the same directory (so mv is a rename on one filesystem),
 * created under umask 077 so it is never readable by others before chmod, size checked, then renamed over the target.
 * The temp file is removed when any step fails. POSIX sh + wc/tr/chmod/mv only (works on Linux and FreeBSD/pfSense).
 */
export function uploadCommand(path: string, size: number, mode: number, uniqueSuffix: string): string {
  assertRemoteFilePath("upload path", path);
  if (!/^[A-Za-z0-9]+$/.test(uniqueSuffix)) throw new Error(`upload temp suffix: ${JSON.stringify(uniqueSuffix)} must be alphanumeric`);
  const { dir, base } = splitPath(path);
  const tmp = `${dir === "/" ? "" : dir}/.${base}.pfha-tmp.${uniqueSuffix}`;
  const t = shq(tmp);
  return (
    `umask 077 && cat > ${t} && n=$(wc -c < ${t} | tr -d ' ') && ` +
    `if [ "$n" != ${shq(size)} ]; then echo "upload: wrote $n bytes, expected ${size}" >&2; rm -f ${t}; exit 1; fi && ` +
    `chmod ${octalMode(mode)} ${t} && mv -f ${t} ${shq(path)} || { rm -f ${t}; exit 1; }`
  );
}

export function readFileCommand(path: string): string {
  assertRemoteFilePath("readFile path", path);
  return `cat ${shq(path)}`;
}
