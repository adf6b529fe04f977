// Static IPv6 with an IPv6 CARP VIP, on pfSense's own code in the lab (PFHA_LAB_ID; PFHA_PFSENSE_VERSION 2.7.2 or
// 24.1): the dev stack with `ipv6` static on the LAN, written to both firewalls through the providers' write
// protocol. pfSense's interface_configure() sets each node's address, interface_carp_configure() the VIP with its
// VHID (`ifconfig … inet6 … alias vhid`), filter_configure_sync() writes a rules.debug that passes CARP, a real
// XMLRPC sync mirrors the VIP to the secondary (its own address kept), and verify's CARP check covers the VHID.
import * as fs from "fs";
import { vipUniqidOf } from "../../components/plan";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { labExec, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { child, childrenByTag, getPath, textIn, valueOf } from "../../providers/pfsense/codec-tree";
import { submitEdit } from "../../providers/pfsense/remote";
import { removeCarpVip } from "../../providers/pfsense/elements/carp-vip";
import { closeAllHosts } from "../../providers/ssh";
import { expectationsOf } from "../../providers/verify/desired";
import { evaluate } from "../../providers/verify/evaluate";
import { firewallProbeScript, parseFirewallProbe } from "../../providers/verify/probe";
import { renderFirewall } from "../../providers/verify/render";
import { labStack, writeFirewallPlans } from "../support/ha-lab";
import { changesOf, eventsSettled, labRecord, reseedFirewalls, setAdminPassword } from "../support/pfsense-lab";

jest.setTimeout(120000);

const SECRETS = { carpPassword: "carp-V6-S3cret", xmlrpcPassword: "xmlrpc-V6-S3cret" };
const ROLES: FirewallRole[] = ["primary", "secondary"];
const LAN_V6 = { subnet: "2001:db8:10::/64", addresses: { primary: "2001:db8:10::2", secondary: "2001:db8:10::3" }, vip: { address: "2001:db8:10::1", vhid: 12 } };
let inv: LabInventory;
let config: ClusterConfig;
let dir: string;
const name = (role: FirewallRole): string => config.firewalls[role].name;

const sh = (host: string, script: string): Promise<string> => labSh(inv, host, script);

async function configOf(role: FirewallRole): Promise<PfConfigDoc> {
  return parseConfigXml(await sh(name(role), "cat /cf/conf/config.xml"));
}

function v6VipOf(doc: PfConfigDoc): Record<string, string> | undefined {
  const vip = childrenByTag(getPath(doc.root, "virtualip")!, "vip").find((v) => valueOf(doc, v, "subnet") === "2001:db8:10::1");
  if (!vip) return undefined;
  return Object.fromEntries(["mode", "interface", "vhid", "advskew", "advbase", "descr", "type", "subnet_bits", "subnet"].map((k) => [k, valueOf(doc, vip, k) ?? "(absent)"]));
}

beforeAll(async () => {
  inv = loadInventory();
  ({ config, dir } = labStack(inv, "v6lab", (values) => void (values["pfsense-ha:cluster"].networks.lan.ipv6 = LAN_V6)));
  await reseedFirewalls(inv);
  // Written to both firewalls as the cluster writes them (the secondary's factory admin password refuses the syncs
  // these writes start, so each node holds what the providers wrote until the sync test runs one on purpose).
  await writeFirewallPlans(config, SECRETS, "ipv6-test");
  for (const role of ROLES) await eventsSettled(inv, name(role), 60000);
});

afterAll(async () => {
  await closeAllHosts();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("what the write protocol left in config.xml and what pfSense's own apply did with it", () => {
  test.each([["primary", "2001:db8:10::2", "0"], ["secondary", "2001:db8:10::3", "100"]] as const)("%s: Static IPv6 %s on the LAN, the IPv6 VIP (advskew %s), no track6 left", async (role, address, advskew) => {
    const doc = await configOf(role);
    const lan = getPath(doc.root, "interfaces/lan")!;
    expect([textIn(doc, child(lan, "ipaddrv6")), textIn(doc, child(lan, "subnetv6")), child(lan, "track6-interface"), child(lan, "track6-prefix-id")]).toEqual([address, "64", undefined, undefined]);
    // the WAN stays IPv6 none (no dhcp6, and on 24.1 no WAN_DHCP6 gateway)
    expect(child(getPath(doc.root, "interfaces/wan")!, "ipaddrv6")).toBeUndefined();
    expect(v6VipOf(doc)).toEqual({
      mode: "carp", interface: "lan", vhid: "12", advskew, advbase: "1", descr: "LAN IPv6 CARP VIP", type: "single", subnet_bits: "64", subnet: "2001:db8:10::1",
    });
  });

  test.each([["primary", "2001:db8:10::2", 0], ["secondary", "2001:db8:10::3", 100]] as const)("%s: interface_configure() set the address, interface_carp_configure() the VIP on VHID 12", async (role, address, advskew) => {
    const changes = changesOf(labRecord(inv, name(role)));
    expect(changes).toContain(`ifconfig vtnet1 inet6 ${address} prefixlen 64`);
    expect(changes).toContain(`ifconfig vtnet1 vhid 12 advskew ${advskew} advbase 1 pass <redacted>`);
    expect(changes).toContain("ifconfig vtnet1 inet6 2001:db8:10::1 prefixlen 64 alias vhid 12");
    const ifc = await sh(name(role), "/sbin/ifconfig vtnet1");
    expect(ifc).toContain(`\tinet6 ${address} prefixlen 64\n`);
    expect(ifc).toContain("\tinet6 2001:db8:10::1 prefixlen 64 vhid 12\n");
    expect(ifc).toContain(`\tcarp: ${role === "primary" ? "MASTER" : "BACKUP"} vhid 12 advbase 1 advskew ${advskew}\n`);
  });

  test.each([["primary", "2001:db8:10::2"], ["secondary", "2001:db8:10::3"]] as const)("%s: the rules.debug pfSense generated passes CARP (both address families) and knows the LAN's IPv6 prefix and the node's address %s", async (role, address) => {
    const rules = await sh(name(role), "cat /tmp/rules.debug");
    expect(rules).toMatch(/^pass\s+quick proto carp ridentifier \d+ no state$/m);
    // the factory's "Default allow LAN IPv6" rule now names the static prefix (the label's format is the tree's)
    expect(rules).toMatch(/^pass\s+in\s+quick\s+on \$LAN inet6 from 2001:db8:10::\/64 to any ridentifier \d+ keep state label .*Default allow LAN IPv6 to any rule/m);
    // filter.inc read the node's own IPv6 address from the interface (get_interface_ipv6())
    expect(rules).toContain(`pass in  quick on $LAN inet6 proto udp from fe80::/10 to ${address} port = 546 `);
    // and the ruleset pf holds is that file
    expect(await sh(name(role), "/sbin/pfctl -sr")).toMatch(/^pass\s+quick proto carp /m);
  });

  test("verify's CARP check covers the IPv6 VIP: the primary MASTER and the secondary BACKUP for VHID 12", async () => {
    const observations = { firewalls: {} as Record<FirewallRole, ReturnType<typeof parseFirewallProbe>["observation"]>, nodes: [] };
    for (const role of ROLES) {
      const probe = await labExec(inv, name(role), firewallProbeScript({ xmlrpc: false }));
      observations.firewalls[role] = parseFirewallProbe({ role, name: name(role) }, probe.stdout).observation;
    }
    const v6 = evaluate(expectationsOf(config), observations).filter((c) => c.check.startsWith("carp vhid 12 "));
    expect(v6.map((c) => `${c.check} ${c.node}: ${c.found} ${c.status}`)).toEqual([
      "carp vhid 12 lan 2001:db8:10::1 fw1 (primary): MASTER on vtnet1 (advskew 0) pass",
      "carp vhid 12 lan 2001:db8:10::1 fw2 (secondary): BACKUP on vtnet1 (advskew 100) pass",
      "carp vhid 12 lan 2001:db8:10::1 exactly one MASTER cluster: fw1=MASTER, fw2=BACKUP pass",
    ]);
  });
});

describe("the secondary mirror", () => {
  test("a real XMLRPC sync writes the secondary's IPv6 VIP exactly as the stack plans it (advskew 100), its own address kept, no drift", async () => {
    const fw2 = name("secondary");
    // the secondary without the IPv6 VIP: what it holds after the sync is the sync's own doing
    await submitEdit(config.firewalls.secondary.ssh, { label: "ipv6-test drop the v6 VIP", edit: (d) => void removeCarpVip(d, vipUniqidOf(config.name, "lan", 12)) });
    expect(v6VipOf(await configOf("secondary"))).toBeUndefined();
    await setAdminPassword(inv, fw2, SECRETS.xmlrpcPassword);
    await sh(name("primary"), "php -f /etc/rc.filter_synchronize >/dev/null 2>&1; true");
    const xml = await sh(fw2, "cat /cf/conf/config.xml");
    const after = parseConfigXml(xml);
    expect(valueOf(after, getPath(after.root, "revision")!, "description")).toMatch(/XMLRPC/i);
    expect(v6VipOf(after)).toMatchObject({ vhid: "12", advskew: "100", subnet: "2001:db8:10::1" });
    expect(textIn(after, getPath(after.root, "interfaces/lan/ipaddrv6"))).toBe("2001:db8:10::3");
    expect(renderFirewall(config, "secondary", xml, { secrets: SECRETS }).diff).toBe("");
  });
});
