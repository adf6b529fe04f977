// render's core: the plan applied to a config.xml through the providers' element edits, shown as a masked diff.
import * as fs from "fs";
import * as path from "path";
import { validateValues } from "../../config/load";
import type { ClusterConfig } from "../../config/types";
import { firewallPlanOf } from "../../components/plan";
import { applyUnifiedDiff } from "../../providers/verify/line-diff";
import { maskSecrets, renderFirewall, SECRET_MASK } from "../../providers/verify/render";
import { TOPOLOGY_DIR, TOPOLOGIES, setIn, topologyValues } from "../fixtures/topologies";

const FACTORY = fs.readFileSync(path.join(__dirname, "..", "fixtures", "pfsense-factory-config.xml"), "utf8");
const SECRETS = { carpPassword: "carp-Render-Secret-1", xmlrpcPassword: "xmlrpc-Render-Secret-2" };

function load(name: string): ClusterConfig {
  const r = validateValues(topologyValues(name), TOPOLOGY_DIR);
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

describe.each(TOPOLOGIES)("%s", (name) => {
  const c = load(name);
  test.each(["primary", "secondary"] as const)("%s: the diff applied to the factory config gives the rendered file; rendering that again changes nothing", (role) => {
    const out = renderFirewall(c, role, FACTORY, { secrets: SECRETS });
    expect(out.diff).not.toBe("");
    expect(applyUnifiedDiff(maskSecrets(FACTORY), out.diff)).toBe(maskSecrets(out.after));
    expect(renderFirewall(c, role, out.after, { secrets: SECRETS }).diff).toBe("");
    expect(out.changes.length).toBeGreaterThanOrEqual(firewallPlanOf(c, c.name, role).length);
  });
});

test("every CARP VIP of the plan is in the diff, with the secondary's skew raised like XMLRPC sync does", () => {
  const c = load("wan-lan-sync");
  const p = renderFirewall(c, "primary", FACTORY).diff;
  const s = renderFirewall(c, "secondary", FACTORY).diff;
  for (const n of c.networks) {
    for (const v of n.vips) {
      expect(p).toContain(`+\t\t\t<vhid>${v.vhid}</vhid>`);
      expect(p).toContain(`+\t\t\t<subnet>${v.address}</subnet>`);
    }
  }
  expect(p).toContain("+\t\t\t<advskew>0</advskew>");
  expect(s).toContain("+\t\t\t<advskew>100</advskew>");
  expect(s).not.toContain("<synchronizetoip>"); // the secondary never syncs back
  expect(p).toContain("<synchronizetoip>");
});

test("secrets never reach the output, given or not; a changed password is not invented", () => {
  const c = load("wan-lan-sync");
  const withReal = renderFirewall(c, "primary", FACTORY, { secrets: SECRETS });
  expect(withReal.diff).not.toContain(SECRETS.carpPassword);
  expect(withReal.diff).not.toContain(SECRETS.xmlrpcPassword);
  expect(withReal.diff).toContain(`<password>${SECRET_MASK}</password>`);
  expect(withReal.after).toContain(SECRETS.carpPassword); // the file itself is exact
  // live config with the real passwords, rendered without them: no drift shown
  expect(renderFirewall(c, "primary", withReal.after).diff).toBe("");
  expect(withReal.changes.join("\n")).not.toContain(SECRETS.carpPassword);
});

test("with the secrets given, a password that differs on the box shows as a changed line, still masked", () => {
  const c = load("wan-lan-sync");
  const converged = renderFirewall(c, "primary", FACTORY, { secrets: SECRETS }).after;
  const other = { ...SECRETS, xmlrpcPassword: "xmlrpc-Rotated-Secret-3" };
  const d = renderFirewall(c, "primary", converged, { secrets: other });
  expect(d.diff.split("\n").filter((l) => /^[+-]\t/.test(l))).toEqual([`-\t\t<password>${SECRET_MASK}</password>`, `+\t\t<password>${SECRET_MASK}</password>`]);
  expect(d.diff).not.toContain(other.xmlrpcPassword);
  expect(d.diff).not.toContain(SECRETS.xmlrpcPassword);
  expect(d.secretsCompared).toBe(true);
  expect(renderFirewall(c, "primary", converged, { secrets: { carpPassword: SECRETS.carpPassword } }).secretsCompared).toBe(false);
});

test("a human's unrelated edit stays out of the diff; a drifted value shows as one changed line", () => {
  const c = load("wan-lan-sync");
  const converged = renderFirewall(c, "primary", FACTORY, { secrets: SECRETS }).after;
  const human = converged.replace("<hostname>pfSense</hostname>", "<hostname>edge-a</hostname>");
  expect(renderFirewall(c, "primary", human, { secrets: SECRETS }).diff).toBe("");
  const drifted = converged.replace(`<advskew>${c.carp.advskewPrimary}</advskew>`, "<advskew>77</advskew>");
  const d = renderFirewall(c, "primary", drifted, { secrets: SECRETS }).diff;
  expect(d.split("\n").filter((l) => /^[+-]\t/.test(l))).toEqual(["-\t\t\t<advskew>77</advskew>", `+\t\t\t<advskew>${c.carp.advskewPrimary}</advskew>`]);
});

test("a config.xml older than pfSense 2.7 is refused with the version and the fix", () => {
  const c = load("wan-lan-sync");
  expect(() => renderFirewall(c, "primary", FACTORY.replace(/<version>[^<]*<\/version>/, "<version>21.7</version>"))).toThrow(/21\.7.*upgrade/);
});

test("DHCP per network: render shows each firewall's <dhcpd> blocks (LAN without failover, a new DMZ server with failover)", () => {
  const v = topologyValues("wan-lan-dmz-sync30");
  setIn(v, "networks.lan.dhcp", { rangeFrom: "10.20.0.100", rangeTo: "10.20.0.200" });
  setIn(v, "networks.dmz.dhcp", { rangeFrom: "10.30.0.100", rangeTo: "10.30.0.200", failover: true });
  const r = validateValues(v, TOPOLOGY_DIR);
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  for (const [role, peer] of [["primary", "10.30.0.3"], ["secondary", "10.30.0.2"]] as const) {
    const after = renderFirewall(r.config, role, FACTORY, { secrets: SECRETS }).after;
    const dhcpd = /\n\t<dhcpd>\n([\s\S]*?)\n\t<\/dhcpd>\n/.exec(after)?.[1];
    expect(dhcpd?.split("\n")).toEqual([
      "\t\t<lan>", "\t\t\t<enable></enable>", "\t\t\t<range>", "\t\t\t\t<from>10.20.0.100</from>", "\t\t\t\t<to>10.20.0.200</to>", "\t\t\t</range>",
      "\t\t\t<gateway>10.20.0.1</gateway>", "\t\t\t<dnsserver>10.20.0.1</dnsserver>", "\t\t</lan>",
      "\t\t<opt2>", "\t\t\t<enable></enable>", "\t\t\t<range>", "\t\t\t\t<from>10.30.0.100</from>", "\t\t\t\t<to>10.30.0.200</to>", "\t\t\t</range>",
      "\t\t\t<gateway>10.30.0.1</gateway>", "\t\t\t<dnsserver>10.30.0.1</dnsserver>", `\t\t\t<failover_peerip>${peer}</failover_peerip>`, "\t\t</opt2>",
    ]);
  }
});
