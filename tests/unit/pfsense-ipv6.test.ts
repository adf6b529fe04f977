// Static IPv6 per network: both firewalls' addresses on the interface (interfaces.php "Static IPv6") and an IPv6 CARP
// VIP (an ordinary CARP VIP with an IPv6 address and its own VHID), mirrored to the secondary like the IPv4 VIPs;
// render shows the XML, verify expects the VIP's VHID. Expected values are literal.
import { readFileSync } from "fs";
import { bigIntToIpv6, inSubnet6, lastOf6, networkOf6, normalizeIpv6, parseCidr6 } from "../../config/ipv6";
import { validateStack } from "../../config/validate";
import type { ClusterConfig } from "../../config/types";
import { firewallPlanOf, secretRef } from "../../components/plan";
import { parseConfigXml } from "../../providers/pfsense/codec";
import { readIpv6Spec, upsertInterface } from "../../providers/pfsense/elements/interface";
import { validateCarpVip } from "../../providers/pfsense/elements/carp-vip";
import { renderFirewall } from "../../providers/verify/render";
import { expectationsOf } from "../../providers/verify/desired";
import { carpStatuses, parseIfconfig } from "../../providers/verify/parse-ifconfig";
import { setIn, topologyValues } from "../fixtures/topologies";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";

const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8");

function cluster(): ClusterConfig {
  const v = topologyValues("wan-lan-sync");
  setIn(v, "networks.lan.ipv6", { subnet: "2001:db8:10::/64", addresses: { primary: "2001:db8:10::2", secondary: "2001:db8:10::3" }, vip: { address: "2001:db8:10::1", vhid: 12 } });
  const r = validateStack(v);
  expect(r.problems).toEqual([]);
  return r.config as ClusterConfig;
}

describe("IPv6 arithmetic", () => {
  it("writes addresses in RFC 5952 form", () => {
    expect(normalizeIpv6("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(normalizeIpv6("2001:db8:0:1:0:0:0:1")).toBe("2001:db8:0:1::1");
    expect(normalizeIpv6("2001:0:0:1:0:0:0:1")).toBe("2001:0:0:1::1");
    expect(normalizeIpv6("2001:db8:1:2:3:4:0:5")).toBe("2001:db8:1:2:3:4:0:5");
    expect(normalizeIpv6("::")).toBe("::");
    expect(normalizeIpv6("::1")).toBe("::1");
    expect(bigIntToIpv6(1n << 127n)).toBe("8000::");
    for (const bad of ["2001:db8::1::2", "2001:db8:0:0:0:0:0:0:1", "12345::1", "2001:db8::g", "192.0.2.1", "2001:db8::/64", ""]) {
      expect(normalizeIpv6(bad)).toBeUndefined();
    }
  });

  it("knows a prefix's first and last address and what is inside", () => {
    const c = parseCidr6("2001:db8:10::5/64");
    expect(c && networkOf6(c)).toBe("2001:db8:10::");
    expect(c && lastOf6(c)).toBe("2001:db8:10:0:ffff:ffff:ffff:ffff");
    expect(c && inSubnet6("2001:db8:10::ffff", c)).toBe(true);
    expect(c && inSubnet6("2001:db8:11::1", c)).toBe(false);
    expect(parseCidr6("2001:db8::/129")).toBeUndefined();
    expect(parseCidr6("2001:db8::/064")).toBeUndefined();
  });
});

describe("the plan and the XML of a static-IPv6 network", () => {
  it("gives each firewall its own address and both the same IPv6 VIP (secondary skew as the XMLRPC sync writes it)", () => {
    const c = cluster();
    for (const [role, address, advskew] of [["primary", "2001:db8:10::2", 0], ["secondary", "2001:db8:10::3", 100]] as const) {
      const plan = firewallPlanOf(c, c.name, role);
      const lan = plan.find((i) => i.key === "if-lan");
      expect(lan?.kind === "interface" && lan.spec.ipv6).toEqual({ address, prefix: 64 });
      expect(plan.find((i) => i.key === "if-wan")?.kind === "interface" && (plan.find((i) => i.key === "if-wan") as { spec: { ipv6?: unknown } }).spec.ipv6).toBe("none");
      expect(plan.find((i) => i.key === "vip-lan-12")).toEqual({
        key: "vip-lan-12",
        kind: "carpVip",
        spec: {
          uniqid: "8d6b1204b1003", interface: "lan", vhid: 12, advskew, advbase: 1, password: secretRef("carpPassword"),
          descr: "LAN IPv6 CARP VIP", subnet: "2001:db8:10::1", subnetBits: 64,
        },
      });
      // after the IPv4 VIPs, before the HA sync (apply order)
      expect(plan.map((i) => i.key).filter((k) => k.startsWith("vip-"))).toEqual(["vip-wan-1", "vip-lan-2", "vip-lan-12"]);
    }
  });

  it("renders the interface as interfaces.php saves Static IPv6 and the VIP as saveVIP() writes it", () => {
    const c = cluster();
    for (const [role, address, advskew] of [["primary", "2001:db8:10::2", "0"], ["secondary", "2001:db8:10::3", "100"]] as const) {
      const r = renderFirewall(c, role, factory);
      const a = r.after;
      expect(a.slice(a.indexOf("\t\t<lan>"), a.indexOf("</lan>") + 6)).toBe(
        [
          "\t\t<lan>", "\t\t\t<enable></enable>", "\t\t\t<if>vtnet1</if>", `\t\t\t<ipaddr>172.16.10.${role === "primary" ? 2 : 3}</ipaddr>`, "\t\t\t<subnet>24</subnet>",
          `\t\t\t<ipaddrv6>${address}</ipaddrv6>`, "\t\t\t<subnetv6>64</subnetv6>", "\t\t\t<media></media>", "\t\t\t<mediaopt></mediaopt>",
          "\t\t\t<descr><![CDATA[LAN]]></descr>", "\t\t\t<spoofmac></spoofmac>", "\t\t</lan>",
        ].join("\n"),
      );
      const vips = a.slice(a.indexOf("\t<virtualip>"), a.indexOf("</virtualip>"));
      expect(vips.slice(vips.lastIndexOf("\t\t<vip>"))).toBe(
        [
          "\t\t<vip>", "\t\t\t<mode>carp</mode>", "\t\t\t<interface>lan</interface>", "\t\t\t<vhid>12</vhid>", `\t\t\t<advskew>${advskew}</advskew>`,
          "\t\t\t<advbase>1</advbase>", "\t\t\t<password><![CDATA[********]]></password>", "\t\t\t<uniqid>8d6b1204b1003</uniqid>",
          "\t\t\t<descr><![CDATA[LAN IPv6 CARP VIP]]></descr>", "\t\t\t<type>single</type>", "\t\t\t<subnet_bits>64</subnet_bits>",
          "\t\t\t<subnet>2001:db8:10::1</subnet>", "\t\t</vip>", "\t",
        ].join("\n"),
      );
      expect(r.changes.filter((l) => l.startsWith("if-lan: ") && /v6|track6/.test(l))).toEqual([
        'if-lan: interface lan track6-interface: "wan" -> (removed: static IPv6)',
        'if-lan: interface lan track6-prefix-id: "0" -> (removed: static IPv6)',
        `if-lan: interface lan ipaddrv6: "track6" -> "${address}"`,
      ]);
    }
  });

  it("reads Static IPv6 back; any other IPv6 type a human sets reads as drift", () => {
    const doc = parseConfigXml(factory);
    const spec = { name: "lan", device: "em1", descr: "LAN", enable: true, ipaddr: "192.168.1.2", subnetBits: 24, sync: false, ipv6: { address: "2001:db8:10::2", prefix: 64 } };
    expect(upsertInterface(doc, spec).changed).toBe(true);
    expect(readIpv6Spec(doc, "lan")).toEqual({ address: "2001:db8:10::2", prefix: 64 });
    expect(upsertInterface(doc, spec).changed).toBe(false);
    expect(readIpv6Spec(doc, "wan")).toBe("dhcp6");
    const lan = parseConfigXml(factory);
    expect(readIpv6Spec(lan, "lan")).toBe("track6");
  });

  it("refuses an IPv6 VIP address not in RFC 5952 form and a mask beyond 128", () => {
    const vip = { uniqid: "8d6b1204b1003", interface: "lan", vhid: 12, advskew: 0, advbase: 1, password: "x", descr: "v6", subnet: "2001:db8:10::1", subnetBits: 64 };
    expect(() => validateCarpVip(vip)).not.toThrow();
    expect(() => validateCarpVip({ ...vip, subnet: "2001:DB8:10:0::1" })).toThrow('subnet: "2001:DB8:10:0::1" is invalid; use an IPv6 address in RFC 5952 form, e.g. 2001:db8:1::1');
    expect(() => validateCarpVip({ ...vip, subnetBits: 129 })).toThrow("subnetBits: 129 is invalid; use an integer from 1 to 128");
  });
});

describe("verify knows the IPv6 VIP", () => {
  it("expects its VHID on both firewalls' LAN device, and reads it from ifconfig's inet6 line", () => {
    const e = expectationsOf(cluster());
    expect(e.vips.map((v) => `${v.network} ${v.vhid} ${v.address} ${v.device.primary}/${v.device.secondary}`)).toEqual([
      "wan 1 198.51.100.10 vtnet0/vtnet0",
      "lan 2 172.16.10.1 vtnet1/vtnet1",
      "lan 12 2001:db8:10::1 vtnet1/vtnet1",
    ]);
    const report = parseIfconfig(
      [
        "vtnet1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500",
        "\tinet 172.16.10.2 netmask 0xffffff00 broadcast 172.16.10.255",
        "\tinet 172.16.10.1 netmask 0xffffff00 broadcast 172.16.10.255 vhid 2",
        "\tinet6 fe80::1%vtnet1 prefixlen 64 scopeid 0x2",
        "\tinet6 2001:db8:10::2 prefixlen 64",
        "\tinet6 2001:db8:10::1 prefixlen 64 vhid 12",
        "\tcarp: MASTER vhid 2 advbase 1 advskew 0",
        "\tcarp: MASTER vhid 12 advbase 1 advskew 0",
        "",
      ].join("\n"),
    );
    expect(report.interfaces[0].vhidAddresses).toEqual([{ address: "172.16.10.1", vhid: 2 }, { address: "2001:db8:10::1", vhid: 12 }]);
    expect(carpStatuses(report).map((s) => `${s.device} ${s.vhid} ${s.state}`)).toEqual(["vtnet1 2 MASTER", "vtnet1 12 MASTER"]);
  });
});
