// Pure IPv6 arithmetic for the static IPv6 choice of a network (validation, the plan, the pfSense elements).
// Addresses are kept in RFC 5952 form (lower case, longest zero run as "::"), so equal addresses compare equal.

/** The eight 16-bit groups of an IPv6 address as one 128-bit number, or undefined when it is not one. */
export function ipv6ToBigInt(value: unknown): bigint | undefined {
  if (typeof value !== "string" || value.length > 39 || !/^[0-9A-Fa-f:]+$/.test(value)) return undefined;
  const halves = value.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): string[] | undefined => (s === "" ? [] : s.split(":"));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const given = [...head, ...tail];
  if (given.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  if (halves.length === 1 ? given.length !== 8 : given.length > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - given.length).fill("0"), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function isIpv6(value: unknown): value is string {
  return ipv6ToBigInt(value) !== undefined;
}

/** RFC 5952 text of a 128-bit number. */
export function bigIntToIpv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1; // a single zero group is never shortened
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** The address in RFC 5952 form (2001:DB8:0:0::1 -> 2001:db8::1); undefined when it is not an IPv6 address. */
export function normalizeIpv6(value: unknown): string | undefined {
  const n = ipv6ToBigInt(value);
  return n === undefined ? undefined : bigIntToIpv6(n);
}

export interface Ipv6Cidr {
  /** The address as a number (may have host bits set). */
  value: bigint;
  prefix: number;
}

/** Parses "2001:db8:1::/64" (prefix 0-128); undefined when it is not an IPv6 CIDR. */
export function parseCidr6(value: unknown): Ipv6Cidr | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!m) return undefined;
  const v = ipv6ToBigInt(m[1]);
  const prefix = Number(m[2]);
  if (v === undefined || prefix > 128 || String(prefix) !== m[2]) return undefined;
  return { value: v, prefix };
}

const ALL = (1n << 128n) - 1n;

function maskOf6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL;
}

/** The network (subnet-router anycast) address of a CIDR, RFC 5952. */
export function networkOf6(c: Ipv6Cidr): string {
  return bigIntToIpv6(c.value & maskOf6(c.prefix));
}

/** The highest address of a CIDR (what pfSense's gen_subnetv6_max() gives), RFC 5952. */
export function lastOf6(c: Ipv6Cidr): string {
  return bigIntToIpv6((c.value & maskOf6(c.prefix)) | (~maskOf6(c.prefix) & ALL));
}

/** "2001:db8:1::/64" with host bits cleared. */
export function subnetOf6(c: Ipv6Cidr): string {
  return `${networkOf6(c)}/${c.prefix}`;
}

export function inSubnet6(ip: string, c: Ipv6Cidr): boolean {
  const v = ipv6ToBigInt(ip);
  return v !== undefined && (v & maskOf6(c.prefix)) === (c.value & maskOf6(c.prefix));
}
