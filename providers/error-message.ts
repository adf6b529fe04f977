// The message of anything thrown. Not `instanceof Error` alone: an Error subclass from a closure-serialized module
// is not the host's Error (and String() of it gives "[object Object]").
export function messageOf(err: unknown): string {
  const m = typeof err === "object" && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof m === "string" ? m : String(err);
}
