// Field rules shared with the providers' check(): boundaries accepted/rejected, and the problem names the key given.
import * as rules from "../../config/rules";
import { closest } from "../../config/suggest";

type Rule = (key: string, value: unknown) => { key: string }[];

const BOUNDARIES: [string, Rule, unknown[], unknown[]][] = [
  ["checkVni", rules.checkVni, [1, 16777215, "42"], [0, 16777216, -1, 1.5, "x", null]],
  ["checkVhid", rules.checkVhid, [1, 255], [0, 256]],
  ["checkAdvbase", rules.checkAdvbase, [1, 254], [0, 255]],
  ["checkAdvskew", rules.checkAdvskew, [0, 254], [-1, 255]],
  ["checkUdpPort", rules.checkUdpPort, [1, 65535], [0, 65536]],
  ["checkVmId", rules.checkVmId, [100, 999999999], [99, 1000000000]],
  ["checkLinuxIfName", rules.checkLinuxIfName, ["vmbr0", "a", "x".repeat(15), "eno1.100", "br_lan-1"], ["", "x".repeat(16), "a b", "a/b", "a;b", ".", "..", "é", 5]],
  ["checkIpv4", rules.checkIpv4, ["0.0.0.0", "255.255.255.255", "10.0.0.1"], ["10.0.0", "10.0.0.256", "01.2.3.4", "10.0.0.1/24", " 10.0.0.1"]],
  ["checkCidr", rules.checkCidr, ["10.0.0.0/8", "10.0.0.5/32", "0.0.0.0/0"], ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "x/8"]],
  ["checkFingerprint", rules.checkFingerprint, [`SHA256:${"A".repeat(43)}`, `SHA256:${"+/9a".repeat(10)}abc`], [`SHA256:${"A".repeat(42)}`, `SHA256:${"A".repeat(43)}=`, `MD5:${"A".repeat(43)}`, "aa:bb"]],
  ["checkPfsenseInterface", rules.checkPfsenseInterface, ["wan", "lan", "opt1", "opt12"], ["opt0", "opt", "LAN", "sync", "vtnet0"]],
  ["checkMtu", rules.checkMtu, [576, 1450, 9216], [575, 9217]],
];

describe.each(BOUNDARIES)("%s", (_name, rule, good, bad) => {
  it.each(good)(`accepts %p`, (v) => expect(rule("k.field", v)).toEqual([]));
  it.each(bad)(`rejects %p naming the key`, (v) => {
    const ps = rule("k.field", v);
    expect(ps).toHaveLength(1);
    expect(ps[0].key).toBe("k.field");
  });
});

describe("closest (did you mean)", () => {
  it("finds one- and two-letter typos and case slips", () => {
    expect(closest("carpPasword", ["carpPassword", "xmlrpcPassword"])).toBe("carpPassword");
    expect(closest("advskewprimary", ["advskewPrimary", "advskewSecondary"])).toBe("advskewPrimary");
    expect(closest("vxaln", ["vxlan", "vlanAware"])).toBe("vxlan");
  });
  it("suggests nothing for an unrelated word", () => expect(closest("banana", ["bridge", "uplink", "vxlan"])).toBeUndefined());
});
