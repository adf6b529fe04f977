// FreeBSD `ifconfig -a` output -> interfaces with their CARP status lines and pfsync0's sync settings.
// The line formats are those of sbin/ifconfig (carp.c: "carp: %s vhid %d advbase %d advskew %d"; pfsync.c:
// "syncdev: %s syncpeer: %s maxupd: %d defer: on|off"); see tests/fixtures/recorded/README.md for real samples.

export type CarpState = "MASTER" | "BACKUP" | "INIT";

export interface CarpStatus {
  state: CarpState;
  vhid: number;
  advbase: number;
  advskew: number;
}

export interface IfconfigInterface {
  name: string;
  flags: string[];
  up: boolean;
  description?: string;
  /** "active", "no carrier", … from the `status:` line. */
  status?: string;
  /** Addresses bound to a VHID (`inet A netmask M … vhid N`). */
  vhidAddresses: { address: string; vhid: number }[];
  carp: CarpStatus[];
}

export interface PfsyncStatus {
  up: boolean;
  syncdev?: string;
  syncpeer?: string;
}

export interface IfconfigReport {
  interfaces: IfconfigInterface[];
  /** Absent when the output has no pfsync0 block (pfsync not loaded). */
  pfsync?: PfsyncStatus;
}

const HEADER = /^([A-Za-z0-9_.-]+): flags=[0-9a-f]+(?:<([^>]*)>)?/;
const CARP_LINE = /^\s+carp: (MASTER|BACKUP|INIT) vhid (\d+) advbase (\d+) advskew (\d+)/;
const INET_VHID = /^\s+inet6? ([0-9a-f:.]+)(?:%\S+)? .*\bvhid (\d+)\b/;

/** One `carp:` status line (also as printed by `ifconfig | grep carp`), or undefined. */
export function parseCarpLine(line: string): CarpStatus | undefined {
  const m = CARP_LINE.exec(line);
  return m ? { state: m[1] as CarpState, vhid: Number(m[2]), advbase: Number(m[3]), advskew: Number(m[4]) } : undefined;
}

export function parseIfconfig(text: string): IfconfigReport {
  const interfaces: IfconfigInterface[] = [];
  let pfsync: PfsyncStatus | undefined;
  let cur: IfconfigInterface | undefined;
  for (const line of text.split(/\r?\n/)) {
    const head = HEADER.exec(line);
    if (head) {
      const flags = head[2] ? head[2].split(",") : [];
      cur = { name: head[1], flags, up: flags.includes("UP"), vhidAddresses: [], carp: [] };
      interfaces.push(cur);
      if (cur.name === "pfsync0") pfsync = { up: cur.up };
      continue;
    }
    if (!cur || !/^\s/.test(line)) continue;
    const carp = parseCarpLine(line);
    if (carp) {
      cur.carp.push(carp);
      continue;
    }
    const inet = INET_VHID.exec(line);
    if (inet) {
      cur.vhidAddresses.push({ address: inet[1], vhid: Number(inet[2]) });
      continue;
    }
    const t = line.trim();
    if (t.startsWith("description: ")) cur.description = t.slice("description: ".length);
    else if (t.startsWith("status: ")) cur.status = t.slice("status: ".length);
    if (cur.name === "pfsync0" && pfsync) {
      const dev = /\bsyncdev: (\S+)/.exec(t);
      const peer = /\bsyncpeer: (\S+)/.exec(t);
      if (dev) pfsync.syncdev = dev[1];
      if (peer) pfsync.syncpeer = peer[1];
    }
  }
  return pfsync ? { interfaces, pfsync } : { interfaces };
}

/** Every CARP status line, with the interface it was printed under. */
export function carpStatuses(r: IfconfigReport): (CarpStatus & { device: string })[] {
  return r.interfaces.flatMap((i) => i.carp.map((c) => ({ ...c, device: i.name })));
}
