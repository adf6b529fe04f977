// /etc/network/interfaces as ifupdown2 and Proxmox read it: parse into stanzas while keeping every byte, replace or
// remove only the stanzas we own, and check what Proxmox's parser needs (pve-common: PVE/INotify.pm on PVE 8, PVE/Network/Interfaces.pm on PVE 9).

export interface IfaceStanza {
  name: string;
  /** Line index of `iface NAME ...`. */
  start: number;
  /** One past the last option line of the stanza (trailing blank/comment lines are not part of it). */
  end: number;
  options: { key: string; value: string }[];
}

export interface ParsedInterfaces {
  /** Lines with their terminators, so join("") === the input. */
  lines: string[];
  stanzas: IfaceStanza[];
}

const TOP_LEVEL = /^(iface|auto|allow-[A-Za-z0-9_-]+|source|source-directory|mapping|no-auto-down|no-scripts|rename)(\s|$)/;

export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function parseInterfacesFile(text: string): ParsedInterfaces {
  const lines = splitLines(text);
  const stanzas: IfaceStanza[] = [];
  let cur: IfaceStanza | undefined;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r?\n$/, "");
    if (TOP_LEVEL.test(line)) {
      cur = undefined;
      const m = /^iface\s+(\S+)/.exec(line);
      if (m) {
        cur = { name: m[1], start: i, end: i + 1, options: [] };
        stanzas.push(cur);
      }
      return;
    }
    const t = line.trim();
    if (!cur || t === "" || t.startsWith("#")) return;
    const m = /^(\S+)\s*(.*)$/.exec(t);
    if (m) {
      // ifupdown2 treats _ and - alike in attribute names.
      cur.options.push({ key: m[1].replace(/-/g, "_"), value: m[2] });
      cur.end = i + 1;
    }
  });
  return { lines, stanzas };
}

export function optionOf(s: IfaceStanza, key: string): string | undefined {
  return s.options.find((o) => o.key === key)?.value;
}

/**
 * How an existing stanza is updated instead of replaced: its `iface` line and every line whose key is not ours stay
 * byte for byte where they are (a human's address, post-up, comments); our keys get our values in place; a key whose
 * value is shared (a bridge's ovs_ports: our uplink plus the ports a human added) is computed from the existing value.
 */
export interface StanzaMerge {
  /** Keys we own (normalised: `-` written as `_`); lines with other keys are never touched. */
  owned: string[];
  /** Keys whose value combines ours with what is there: existing value (undefined when absent) -> value (undefined = no line). */
  values?: Record<string, (existing: string | undefined) => string | undefined>;
}

/** One stanza as we write it: `auto NAME`, `iface NAME inet manual`, tab-indented options. */
export interface StanzaSpec {
  name: string;
  options: [string, string][];
  merge?: StanzaMerge;
}

const normKey = (k: string) => k.replace(/-/g, "_");

/** The option lines of `spec`, with the merged values computed from `existing` (or from nothing: a new stanza). */
function resolvedOptions(spec: StanzaSpec, existing?: IfaceStanza): [string, string][] {
  const values = spec.merge?.values ?? {};
  const out: [string, string][] = [];
  for (const [k, v] of spec.options) {
    const f = values[normKey(k)];
    if (!f) {
      out.push([k, v]);
      continue;
    }
    const merged = f(existing ? optionOf(existing, normKey(k)) : undefined);
    if (merged !== undefined && merged !== "") out.push([k, merged]);
  }
  return out;
}

/** The existing stanza's lines with our keys updated in place, ours that were missing added after its last option. */
function mergedBody(lines: string[], st: IfaceStanza, spec: StanzaSpec): string {
  const merge = spec.merge!;
  const opts = resolvedOptions(spec, st);
  const ours = new Map(opts.map(([k, v]) => [normKey(k), [k, v] as [string, string]]));
  const owned = new Set([...merge.owned.map(normKey), ...spec.options.map(([k]) => normKey(k))]);
  const done = new Set<string>();
  const body: string[] = [lines[st.start]];
  for (let i = st.start + 1; i < st.end; i++) {
    const raw = lines[i];
    const m = /^\s*(\S+)/.exec(raw);
    const key = m && !m[1].startsWith("#") ? normKey(m[1]) : undefined;
    if (key === undefined || !owned.has(key)) {
      body.push(raw);
      continue;
    }
    const want = ours.get(key);
    if (want && !done.has(key)) body.push(`\t${want[0]} ${want[1]}\n`);
    done.add(key);
  }
  const missing = opts.filter(([k]) => !done.has(normKey(k))).map(([k, v]) => `\t${k} ${v}\n`);
  if (missing.length) {
    const last = body.length - 1;
    if (!body[last].endsWith("\n")) body[last] += "\n";
    body.push(...missing);
  }
  return body.join("");
}

export function renderStanza(spec: StanzaSpec): string {
  return [`auto ${spec.name}`, `iface ${spec.name} inet manual`, ...resolvedOptions(spec).map(([k, v]) => `\t${k} ${v}`)].join("\n") + "\n";
}

function isAutoLineFor(line: string, name: string): boolean {
  const m = /^(auto|allow-[A-Za-z0-9_-]+)\s+(.*)$/.exec(line.replace(/\r?\n$/, ""));
  return !!m && m[2].trim().split(/\s+/).includes(name);
}

/** Remove NAME from `auto`/`allow-*` lines; a line naming only NAME disappears, others keep their other names. */
function dropAuto(line: string, name: string): string | undefined {
  const nl = line.endsWith("\n") ? "\n" : "";
  const m = /^(\S+)\s+(.*)$/.exec(line.replace(/\r?\n$/, ""))!;
  const rest = m[2].trim().split(/\s+/).filter((n) => n !== name);
  return rest.length ? `${m[1]} ${rest.join(" ")}${nl}` : undefined;
}

/**
 * Replace the stanzas named in `specs` in place (their `auto` line stays where it is), append the missing ones, and
 * remove the stanzas named in `remove`. Every other line is kept byte for byte.
 */
export function editInterfaces(text: string, specs: StanzaSpec[], remove: string[] = []): string {
  const parsed = parseInterfacesFile(text);
  const lines: (string | undefined)[] = [...parsed.lines];
  const wanted = new Map(specs.map((s) => [s.name, s]));
  const placed = new Set<string>();
  for (const st of parsed.stanzas) {
    const spec = wanted.get(st.name);
    if (spec && !placed.has(st.name)) {
      const body = spec.merge
        ? mergedBody(parsed.lines, st, spec)
        : renderStanza(spec).split("\n").slice(1).join("\n"); // without the auto line
      for (let i = st.start; i < st.end; i++) lines[i] = undefined;
      lines[st.start] = body;
      placed.add(st.name);
    } else if (remove.includes(st.name) || (spec && placed.has(st.name))) {
      for (let i = st.start; i < st.end; i++) lines[i] = undefined;
    }
  }
  for (const name of remove) {
    lines.forEach((l, i) => {
      if (l !== undefined && isAutoLineFor(l, name)) lines[i] = dropAuto(l, name);
    });
  }
  // Undo the blank separator line we add when appending: a removed block that was preceded by a blank line and is
  // followed by a blank line or the end of the file takes that preceding blank line with it.
  const isBlank = (l: string | undefined) => l !== undefined && l.trim() === "";
  for (let i = 0; i < parsed.lines.length; i++) {
    if (lines[i] !== undefined || parsed.lines[i].trim() === "") continue;
    let j = i;
    while (j < parsed.lines.length && lines[j] === undefined) j++;
    const prev = i - 1;
    if (prev >= 0 && isBlank(lines[prev]) && (j >= parsed.lines.length || isBlank(lines[j]))) lines[prev] = undefined;
    i = j;
  }
  let out = lines.filter((l): l is string => l !== undefined).join("");
  for (const spec of specs) {
    if (placed.has(spec.name)) {
      if (!parseInterfacesFile(out).lines.some((l) => isAutoLineFor(l, spec.name))) {
        out = out.replace(new RegExp(`^iface ${spec.name.replace(/\./g, "\\.")}\\s`, "m"), (m) => `auto ${spec.name}\n${m}`);
      }
      continue;
    }
    if (out.length && !out.endsWith("\n")) out += "\n";
    out += (out.length ? "\n" : "") + renderStanza(spec);
  }
  return out;
}

export const SOURCE_LINE = "source /etc/network/interfaces.d/*";

/** True when the file already reads /etc/network/interfaces.d/ (as a `source` glob or `source-directory`). */
export function hasSourceOfInterfacesD(text: string): boolean {
  return splitLines(text).some((raw) => {
    const l = raw.trim();
    return (
      /^source\s+\/etc\/network\/interfaces\.d\/\*\s*$/.test(l) ||
      /^source-directory\s+\/etc\/network\/interfaces\.d\/?\s*$/.test(l)
    );
  });
}

export function ensureSourceLine(text: string): string {
  if (hasSourceOfInterfacesD(text)) return text;
  const sep = text.length === 0 || text.endsWith("\n") ? "" : "\n";
  return `${text}${sep}\n${SOURCE_LINE}\n`;
}

// An array, not a Set: Sets do not survive Pulumi's closure serialization.
const PVE_PORT_TYPES: readonly string[] = ["OVSPort", "OVSBond", "OVSIntPort"];

/**
 * What would make Proxmox's network API fail or rewrite our stanzas: a bridge not typed OVSBridge whose ovs_ports
 * hold ports, an ovs_ports member defined in this file with a type PVE rejects there (e.g. OVSTunnel), ovs_mtu on a
 * tunnel. Members not defined in the file are physical NICs (PVE accepts those).
 */
export function proxmoxProblems(text: string): string[] {
  const { stanzas } = parseInterfacesFile(text);
  const byName = new Map(stanzas.map((s) => [s.name, s]));
  const problems: string[] = [];
  for (const s of stanzas) {
    const type = optionOf(s, "ovs_type");
    const ports = optionOf(s, "ovs_ports");
    if (ports !== undefined && type !== "OVSBridge") problems.push(`${s.name}: has ovs_ports but ovs_type is ${type ?? "missing"}, not OVSBridge`);
    for (const p of (ports ?? "").split(/\s+/).filter(Boolean)) {
      const member = byName.get(p);
      const mtype = member && optionOf(member, "ovs_type");
      if (member && !PVE_PORT_TYPES.includes(mtype ?? "")) {
        problems.push(`${s.name}: ovs_ports lists ${p} of type ${mtype ?? "none"}; Proxmox accepts only OVSPort/OVSBond/OVSIntPort there`);
      }
    }
    if (type === "OVSTunnel" && optionOf(s, "ovs_mtu") !== undefined) problems.push(`${s.name}: ovs_mtu on an OVSTunnel stanza (Proxmox rewrites it to mtu)`);
  }
  return problems;
}
