// The package as another program gets it: `npm pack` of the built project, installed into a program's folder.
// Offline: the tarball is unpacked into <dir>/node_modules/pfsense-ha as npm would, and its dependencies (and every
// other package of this project's node_modules) are symlinks into this project's node_modules, where npm has
// installed the lockfile's versions; Node resolves them through their real paths, so one copy of each is loaded.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

/**
 * `npm run build`, then `npm pack` into `dir`; returns the tarball's path. Under a lock per checkout: jest runs test
 * files in parallel, and a build must not rewrite dist/ while another file packs it.
 */
export function buildAndPack(dir: string): string {
  // The lock file lives in the checkout (beside the compile cache), so nothing is left in /tmp.
  const lock = path.join(ROOT, "node_modules", ".cache", "pack.lock");
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const script = `npm run --silent build >/dev/null && npm pack --silent --pack-destination "$1"`;
  const out = execFileSync("flock", [lock, "bash", "-c", script, "pack", dir], { cwd: ROOT, encoding: "utf8" });
  const file = path.join(dir, out.trim().split("\n").pop() ?? "");
  if (!fs.existsSync(file)) throw new Error(`npm pack printed ${JSON.stringify(out)}, no tarball in ${dir}`);
  return file;
}

/** Installs the tarball into `programDir`/node_modules (created), with the dependencies from this project. */
export function installPacked(tarball: string, programDir: string): string {
  const modules = path.join(programDir, "node_modules");
  const pkg = path.join(modules, "pfsense-ha");
  fs.mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"]);
  for (const e of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (e === "pfsense-ha" || e.startsWith(".")) continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", e), path.join(modules, e));
  }
  return pkg;
}
