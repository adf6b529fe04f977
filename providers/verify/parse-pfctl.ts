// `pfctl -s info` (-si) output: whether pf is enabled and the state table's current entry count.

export interface PfInfo {
  enabled: boolean;
  /** "current entries" of the state table; undefined when the line is missing. */
  states?: number;
}

export function parsePfctlInfo(text: string): PfInfo {
  const status = /^Status: (Enabled|Disabled)\b/m.exec(text);
  const states = /^\s+current entries\s+(\d+)/m.exec(text);
  const info: PfInfo = { enabled: status?.[1] === "Enabled" };
  if (states) info.states = Number(states[1]);
  return info;
}
