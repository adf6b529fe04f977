// Small async helpers shared by the lab tests.

/** Polls `pred` every `stepMs` until it holds; throws after `ms`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, stepMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The message of the rejection `p` must end in (fails when it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("expected a rejection");
}
