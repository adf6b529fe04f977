// Pure IPv4 arithmetic used by validation, the pfSense engine and the OVS fabric.

export interface Ipv4Cidr {
  /** The address as written (may be a host address inside the network, e.g. 192.0.2.10/24). */
  address: string;
  prefix: number;
}

const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** Dotted quad, no leading zeros (a leading zero means octal to some parsers). */
export function isIpv4(value: unknown): value is string {
  return typeof value === "string" && IPV4_RE.test(value);
}

export function ipv4ToInt(ip: string): number {
  if (!isIpv4(ip)) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Parses "a.b.c.d/nn"; returns undefined when it is not a valid IPv4 CIDR. */
export function parseCidr(value: unknown): Ipv4Cidr | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^([^/]+)\/(\d{1,2})$/.exec(value);
  if (!m || !isIpv4(m[1])) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 32 || String(prefix) !== m[2].replace(/^0(?=\d)/, "")) return undefined;
  return { address: m[1], prefix };
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkOf(c: Ipv4Cidr): string {
  return intToIpv4((ipv4ToInt(c.address) & maskOf(c.prefix)) >>> 0);
}

export function broadcastOf(c: Ipv4Cidr): string {
  return intToIpv4((ipv4ToInt(c.address) | (~maskOf(c.prefix) >>> 0)) >>> 0);
}

/** "192.0.2.10/24" -> "192.0.2.0/24" */
export function subnetOf(c: Ipv4Cidr): string {
  return `${networkOf(c)}/${c.prefix}`;
}

export function inSubnet(ip: string, c: Ipv4Cidr): boolean {
  const m = maskOf(c.prefix);
  return ((ipv4ToInt(ip) & m) >>> 0) === ((ipv4ToInt(c.address) & m) >>> 0);
}

export function subnetsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(p);
  return ((ipv4ToInt(a.address) & m) >>> 0) === ((ipv4ToInt(b.address) & m) >>> 0);
}
