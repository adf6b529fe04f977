// How every benchmark ends: with --quick, a failed hard target fails the run (exit 1) while times are only reported
// (CI machines are noisy); an error in main() is printed and exits 1.

/** Prints the soft-target notes, then exits 1 naming every failed hard target (`false` entries are targets met). */
export function checkTargets(bench: string, hard: (string | false)[], soft: (string | false)[] = []): void {
  for (const note of soft) if (note) console.error(`note: ${note} (not a failure in --quick)`);
  const failed = hard.filter((f): f is string => f !== false);
  if (failed.length > 0) {
    console.error(`${bench}: hard target failed: ${failed.join("; ")}`);
    process.exit(1);
  }
}

/** Runs a benchmark's main(); an error is printed (its message) and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
