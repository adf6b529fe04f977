// FirewallRule dynamic provider: one filter rule (e.g. the HA sync rules) in one firewall's config.xml.
import { randomInt } from "crypto";
import { checkPfsenseInterface, problem } from "../../config/rules";
import type { Problem } from "../../config/problems";
import { ElementProvider, type ElementInputs, type ElementSpec } from "./resources/element-provider";
import { readFilterRule, removeFilterRule, upsertFilterRule, type FilterRuleFields } from "./resources/filter-rule-element";

export interface FirewallRuleInputs extends ElementInputs, Omit<FilterRuleFields, "tracker"> {
  /** Generated once by check; both nodes carry the same tracker (as XMLRPC sync writes it). */
  tracker?: number;
}

/**
 * pf's ridentifier is 32-bit; pfSense uses (int)microtime(). We draw from 3.0e9-4.29e9 (timestamps after 2065),
 * so no GUI-created rule collides for decades.
 */
export function newTracker(): number {
  return randomInt(3_000_000_000, 4_294_967_295);
}

const PROTOCOLS = /^(tcp|udp|tcp\/udp|icmp|esp|ah|gre|ipv6|igmp|pim|ospf|sctp|carp|pfsync)$/;
const PORT = /^([0-9]{1,5})(-[0-9]{1,5})?$/;
const WHERE = /^(any|\(self\)|[A-Za-z0-9_./:-]{1,64})$/;

export function validateFirewallRule(i: FirewallRuleInputs): Problem[] {
  const p: Problem[] = [...checkPfsenseInterface("interface", i.interface)];
  if (!["pass", "block", "reject"].includes(i.type)) p.push(problem("type", i.type, "is not a rule type", 'use "pass", "block" or "reject"'));
  if (!["inet", "inet6", "inet46"].includes(i.ipprotocol)) {
    p.push(problem("ipprotocol", i.ipprotocol, "is not an IP family", 'use "inet", "inet6" or "inet46"'));
  }
  if (i.protocol !== undefined && !PROTOCOLS.test(i.protocol)) {
    p.push(problem("protocol", i.protocol, "is not a protocol pfSense knows", "use tcp, udp, tcp/udp, icmp, carp, pfsync, … or leave unset for any"));
  }
  for (const k of ["source", "destination"] as const) {
    if (typeof i[k] !== "string" || !WHERE.test(i[k])) {
      p.push(problem(k, i[k], "is not an address, alias or special net", 'use "any", "(self)", "opt1", an IP/CIDR or an alias name'));
    }
  }
  if (i.destinationPort !== undefined && !PORT.test(i.destinationPort)) {
    p.push(problem("destinationPort", i.destinationPort, "is not a port or port range", 'write e.g. "443" or "8000-8080"'));
  }
  if (i.destinationPort !== undefined && !["tcp", "udp", "tcp/udp"].includes(i.protocol ?? "")) {
    p.push(problem("destinationPort", i.destinationPort, "needs protocol tcp, udp or tcp/udp", "set protocol or drop the port"));
  }
  if (!["top", "bottom"].includes(i.position)) {
    p.push(problem("position", i.position, "is not a position", 'use "top" (before your own rules) or "bottom" (after them)'));
  }
  if (typeof i.description !== "string" || i.description.length === 0) {
    p.push(problem("description", i.description, "is empty", "describe the rule (shown in the GUI)"));
  }
  if (i.tracker !== undefined && (!Number.isInteger(i.tracker) || i.tracker < 1 || i.tracker > 4_294_967_295)) {
    p.push(problem("tracker", i.tracker, "is not a 32-bit positive integer", "leave it unset (generated) or copy the primary's"));
  }
  return p;
}

const spec: ElementSpec<FirewallRuleInputs> = {
  kind: "FirewallRule",
  section: "filter",
  validate: validateFirewallRule,
  withIdentity: (olds, news) => ({ ...news, tracker: news.tracker ?? olds.tracker ?? newTracker() }),
  identity: (i) => String(i.tracker),
  replaceKeys: ["tracker"],
  upsert: (doc, i) => upsertFilterRule(doc, { ...i, tracker: i.tracker as number }),
  remove: (doc, i) => removeFilterRule(doc, i.tracker as number),
  read: (doc, i) => readFilterRule(doc, i.tracker as number),
  secrets: () => [],
};

export class FirewallRuleProvider extends ElementProvider<FirewallRuleInputs> {
  constructor() {
    super(spec);
  }
}
