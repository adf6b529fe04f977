// `portForwards` and `oneToOne`: services on the WAN CARP VIP. Every forward listens on a WAN VIP (so it follows the
// MASTER on failover) and redirects to an address inside a managed network; 1:1 mappings use a WAN VIP as their
// external address. Problems name the field and the fix; two forwards taking the same port of a VIP are refused.
import { inSubnet, parseCidr } from "./ipv4";
import { isPlainObject, kindOf, type RawObject, type Reader } from "./reader";
import { checkIpv4 } from "./rules";
import type { NetworkConfig, OneToOneConfig, PortForwardConfig, PortForwardProtocol } from "./types";

const PF_KEYS = ["name", "protocol", "port", "target", "targetPort", "vip", "description"] as const;
const ONE_KEYS = ["name", "external", "internal", "description"] as const;
const PROTOCOLS: readonly PortForwardProtocol[] = ["tcp", "udp", "tcp/udp"];
const NAME = /^[A-Za-z0-9_-]{1,24}$/;

/** A port or range as written (443, "443", "8000-8010") -> [from, to], or undefined. */
export function portRangeOf(v: unknown): [number, number] | undefined {
  const s = typeof v === "number" ? String(v) : v;
  if (typeof s !== "string") return undefined;
  const m = /^\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?$/.exec(s);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return from >= 1 && to <= 65535 && from <= to ? [from, to] : undefined;
}

function listOf(r: Reader, key: string, raw: unknown, example: string): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    r.add(key, kindOf(raw), `must be a list (got ${kindOf(raw)})`, `write ${key} as a YAML list, e.g. ${example}`);
    return [];
  }
  return raw;
}

function readName(r: Reader, key: string, v: unknown, seen: string[], list: string): string | undefined {
  const name = r.string(`${key}.name`, v, true, `"web"`);
  if (name === undefined) return undefined;
  if (!NAME.test(name)) {
    r.add(`${key}.name`, name, "must be 1-24 characters from [A-Za-z0-9_-] (it names the resource and the pfSense rule)", `rename it, e.g. "web-https"`);
    return undefined;
  }
  const earlier = seen.indexOf(name);
  if (earlier !== -1) {
    r.add(`${key}.name`, name, `is used twice (also ${list}[${earlier}]): the name is the rule's identity`, "give each entry its own name");
    return undefined;
  }
  return name;
}

function readDescription(r: Reader, key: string, v: unknown, fallback: string): string | undefined {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string" || v.length > 80 || [...v].some((c) => c.charCodeAt(0) < 32)) {
    r.add(`${key}.description`, v, "must be at most 80 printable characters on one line", "shorten it");
    return undefined;
  }
  return v;
}

/** The WAN VIP `v` names (default: the first), or a problem. */
function readWanVip(r: Reader, key: string, v: unknown, wan: NetworkConfig | undefined, required: boolean): string | undefined {
  const vips = wan?.vips.map((x) => x.address) ?? [];
  if (v === undefined || v === null) {
    if (required) {
      r.add(key, undefined, "is required", vips.length ? `set it to a WAN CARP VIP: ${vips.join(", ")}` : "add a CARP VIP to networks.wan first");
      return undefined;
    }
    if (vips.length === 0 && wan) r.add(key, undefined, "has no WAN CARP VIP to listen on", "add a vip to networks.wan (the forward must follow the MASTER)");
    return vips[0];
  }
  if (!r.addAll(checkIpv4(key, v))) return undefined;
  if (!vips.includes(v as string)) {
    r.add(key, v, "is not a CARP VIP of networks.wan: on a firewall's own address the service would stop when that firewall fails", vips.length ? `use one of ${vips.join(", ")} (or add it to networks.wan.vips)` : "add it as a vip of networks.wan");
    return undefined;
  }
  return v as string;
}

/** An inside address: in a managed network other than the WAN, and not a firewall's or a VIP's own address. */
function readInside(r: Reader, key: string, v: unknown, networks: readonly NetworkConfig[]): string | undefined {
  if (v === undefined || v === null) {
    r.add(key, undefined, "is required", `set it to a host inside a managed network, e.g. "${networks.find((n) => n.role === "lan")?.subnet.replace(/0\/\d+$/, "10") ?? "192.168.1.10"}"`);
    return undefined;
  }
  if (!r.addAll(checkIpv4(key, v))) return undefined;
  const ip = v as string;
  const net = networks.find((n) => n.role !== "wan" && inSubnet(ip, parseCidr(n.subnet)!));
  if (!net) {
    r.add(key, ip, "is not inside a managed network", `use a host in one of ${networks.filter((n) => n.role !== "wan").map((n) => `${n.role} (${n.subnet})`).join(", ")}`);
    return undefined;
  }
  if (ip === net.addresses.primary || ip === net.addresses.secondary || net.vips.some((x) => x.address === ip)) {
    r.add(key, ip, `is a firewall's own address on ${net.role}`, "use the address of the host that runs the service");
    return undefined;
  }
  return ip;
}

const protocolsOverlap = (a: PortForwardProtocol, b: PortForwardProtocol): boolean => a === b || a === "tcp/udp" || b === "tcp/udp";

/**
 * A list of named entries (portForwards, oneToOne): each an object of `keys` with a unique `name`; `read` checks the
 * rest (`earlier`: the entries read so far, `indexOf`: a name's place in the list) and returns the entry, or undefined
 * after reporting. The list is undefined when it has any problem.
 */
function readNamedList<T extends { name: string }>(
  r: Reader,
  key: string,
  raw: unknown,
  keys: readonly string[],
  examples: { list: string; entry: string },
  read: (o: RawObject, k: string, name: string | undefined, earlier: readonly T[], indexOf: (name: string) => number) => T | undefined,
): T[] | undefined {
  const list = listOf(r, key, raw, examples.list);
  const out: T[] = [];
  const names: string[] = [];
  const start = r.problems.length;
  list.forEach((e, i) => {
    const k = `${key}[${i}]`;
    const o = r.object(k, e, keys, true, examples.entry);
    names.push(isPlainObject(e) && typeof e.name === "string" ? e.name : "");
    if (!o) return;
    const entry = read(o, k, readName(r, k, o.name, names.slice(0, i), key), out, (n) => names.indexOf(n));
    if (entry) out.push(entry);
  });
  return r.problems.length === start ? out : undefined;
}

export function readPortForwards(r: Reader, key: string, raw: unknown, networks: readonly NetworkConfig[]): PortForwardConfig[] | undefined {
  const wan = networks.find((n) => n.role === "wan");
  const examples = { list: `[{name: web, protocol: tcp, port: 443, target: 192.168.1.10}]`, entry: `{name: web, port: 443, target: 192.168.1.10}` };
  return readNamedList<PortForwardConfig>(r, key, raw, PF_KEYS, examples, (o, k, name, out, indexOf) => {
    const protocol = r.oneOf(`${k}.protocol`, o.protocol, PROTOCOLS, "tcp");
    let port: [number, number] | undefined;
    if (o.port === undefined || o.port === null) r.add(`${k}.port`, undefined, "is required", "set the external port, e.g. 443, or a range \"8000-8010\"");
    else if (!(port = portRangeOf(o.port))) r.add(`${k}.port`, o.port, "must be a port 1-65535 or a range \"from-to\" (from <= to)", "write e.g. 443 or \"8000-8010\"");
    const target = readInside(r, `${k}.target`, o.target, networks);
    let targetPort: number | undefined = port?.[0];
    if (o.targetPort !== undefined && o.targetPort !== null) {
      const tp = portRangeOf(o.targetPort);
      if (!tp || tp[0] !== tp[1]) {
        r.add(`${k}.targetPort`, o.targetPort, "must be one port 1-65535 (a range maps from it)", "write e.g. 8443, or leave it out to keep the external port");
        targetPort = undefined;
      } else targetPort = tp[0];
    }
    if (port && targetPort !== undefined && targetPort + port[1] - port[0] > 65535) {
      r.add(`${k}.targetPort`, targetPort, `maps ${port[0]}-${port[1]} beyond 65535`, `lower targetPort to at most ${65535 - (port[1] - port[0])}`);
      targetPort = undefined;
    }
    const vip = readWanVip(r, `${k}.vip`, o.vip, wan, false);
    const description = readDescription(r, k, o.description, `port forward ${typeof o.name === "string" ? o.name : ""}`.trim());
    if (!name || !port || !target || targetPort === undefined || !vip || description === undefined) return undefined;
    const clash = out.find((p) => p.vip === vip && protocolsOverlap(p.protocol, protocol) && p.port[0] <= port![1] && port![0] <= p.port[1]);
    if (clash) {
      r.add(`${k}.port`, o.port, `overlaps ${key}[${indexOf(clash.name)}] (${clash.name}: ${clash.protocol} ${clash.port.join("-")} on ${vip}): pf would use only the first`, "use another port, or another WAN VIP with vip:");
      return undefined;
    }
    return { name, protocol, port, target, targetPort, vip, description };
  });
}

export function readOneToOne(r: Reader, key: string, raw: unknown, networks: readonly NetworkConfig[]): OneToOneConfig[] | undefined {
  const wan = networks.find((n) => n.role === "wan");
  const entry = `{name: mail, external: 203.0.113.11, internal: 192.168.1.20}`;
  return readNamedList<OneToOneConfig>(r, key, raw, ONE_KEYS, { list: `[${entry}]`, entry }, (o, k, name, out, indexOf) => {
    const external = readWanVip(r, `${k}.external`, o.external, wan, true);
    const internal = readInside(r, `${k}.internal`, o.internal, networks);
    const description = readDescription(r, k, o.description, `1:1 ${typeof o.name === "string" ? o.name : ""}`.trim());
    if (!name || !external || !internal || description === undefined) return undefined;
    const ext = out.find((x) => x.external === external);
    if (ext) {
      r.add(`${k}.external`, external, `is already mapped by ${key}[${indexOf(ext.name)}] (${ext.name}): one external address maps to one inside host`, "use another WAN CARP VIP (add one to networks.wan.vips)");
      return undefined;
    }
    const int = out.find((x) => x.internal === internal);
    if (int) {
      r.add(`${k}.internal`, internal, `is already mapped by ${key}[${indexOf(int.name)}] (${int.name})`, "map each inside host once");
      return undefined;
    }
    return { name, external, internal, description };
  });
}
