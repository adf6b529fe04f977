// Scratch folders for a test file: made under the OS temp folder as `pfha-<name>-XXXXXX`, all removed when the file
// ends (one afterAll per test file: jest loads this module afresh for each file).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder, removed after the test file. */
export function scratchDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pfha-${name}-`));
  made.push(dir);
  return dir;
}
