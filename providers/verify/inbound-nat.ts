// Port forwards and 1:1 NAT on the WAN VIP: each must be loaded in pf on both firewalls (the BACKUP holds the same
// ruleset, so a failover needs no reload). Read from `pfctl -sn` (the loaded NAT rules); pfctl prints ports as
// "port = 8443" where rules.debug has "port 8443", and the interface as its device: both forms match.
import type { ClusterConfig, FirewallRole, PortForwardProtocol } from "../../config/types";
import type { Check } from "./evaluate";
import type { Observations } from "./observations";

export interface ExpectedInboundNat {
  /** "port forward web" / "1:1 mail": the check's name. */
  label: string;
  /** What pf must hold, as a reader would write it. */
  expected: string;
  /** Source of the regular expression matching its line in `pfctl -sn`. */
  pattern: string;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const PROTO: Record<PortForwardProtocol, string> = { tcp: "tcp", udp: "udp", "tcp/udp": "\\{ tcp,? udp \\}" };

export function inboundNatExpectationsOf(c: ClusterConfig): ExpectedInboundNat[] {
  const out: ExpectedInboundNat[] = [];
  for (const p of c.portForwards ?? []) {
    const ext = p.port[0] === p.port[1] ? String(p.port[0]) : `${p.port[0]}:${p.port[1]}`;
    const to = p.port[0] === p.port[1] ? ` port ${p.targetPort}` : p.targetPort === p.port[0] ? "" : ` port ${p.targetPort}:*`;
    out.push({
      label: `port forward ${p.name}`,
      expected: `rdr ${p.protocol} ${p.vip} port ${ext} -> ${p.target}${to}`,
      pattern: `^rdr (pass )?on \\S+ inet proto ${PROTO[p.protocol]} from any to ${esc(p.vip)} port (= )?${esc(ext)} -> ${esc(p.target)}${to === "" ? "( port \\S+)?" : ` port ${esc(to.slice(6))}`}( |$)`,
    });
  }
  for (const m of c.oneToOne ?? []) {
    out.push({
      label: `1:1 ${m.name}`,
      expected: `binat ${m.internal} -> ${m.external}`,
      pattern: `^binat on \\S+ inet from ${esc(m.internal)} to any -> ${esc(m.external)}( |$)`,
    });
  }
  return out;
}

export function inboundNatChecks(want: readonly ExpectedInboundNat[], o: Observations): Check[] {
  const out: Check[] = [];
  for (const role of ["primary", "secondary"] as FirewallRole[]) {
    const fw = o.firewalls[role];
    // where it can: a node that could not be probed is reported by "reachable"; no NAT listing, nothing to check
    if (fw.error !== undefined || fw.natRules === undefined) continue;
    const node = `${fw.name} (${role})`;
    for (const w of want) {
      const re = new RegExp(w.pattern);
      const line = fw.natRules.find((l) => re.test(l.trim()));
      out.push(line !== undefined
        ? { check: w.label, node, expected: `${w.expected} loaded`, found: line.trim(), status: "pass" }
        : { check: w.label, node, expected: `${w.expected} loaded`, found: "not in pfctl -sn", status: "fail",
          hint: `pf on ${fw.name} does not hold it: run \`pulumi up\` (the NAT rule is missing or was changed by hand), then Status > Filter Reload on ${fw.name} if config.xml already has it` });
    }
  }
  return out;
}
