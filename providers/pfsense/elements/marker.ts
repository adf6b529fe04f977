// Identity marker for elements whose pfSense schema has no id of their own (NAT rules, aliases): a prefix in descr.
// A human's element never carries it, so theirs are never modified or deleted.
export const MARKER = "[pfsense-ha]";

export function markedDescr(key: string, descr: string): string {
  return `${MARKER}${key} ${descr}`;
}

/** The key of a marked descr, or undefined for a human's element. */
export function markerKey(descr: string | undefined): string | undefined {
  if (descr === undefined || !descr.startsWith(MARKER)) return undefined;
  const rest = descr.slice(MARKER.length);
  const sp = rest.indexOf(" ");
  return sp === -1 ? rest : rest.slice(0, sp);
}

export function unmarkedDescr(descr: string): string {
  const rest = descr.slice(MARKER.length);
  const sp = rest.indexOf(" ");
  return sp === -1 ? "" : rest.slice(sp + 1);
}

export function checkKey(field: string, key: string): void {
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(key)) {
    throw new Error(`${field}: ${JSON.stringify(key)} is invalid; use 1-40 characters from [A-Za-z0-9_.-]`);
  }
}
