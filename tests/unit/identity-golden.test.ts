// Golden values of every identity the project derives. These names and ids live on production hosts (OVS port
// names, CARP VIP uniqids, rule trackers, NAT markers, alias and gateway names): a change to any of them makes the
// next `up` replace every tunnel, VIP and rule it names. The expected values are literal data, never recomputed
// with the functions under test; a change here must be a deliberate migration.
import { tunnelPortName } from "../../providers/ovs/naming";
import { firewallPlanOf, gatewayNameOf, natKeyOf, ruleTrackerOf, syncAliasNameOf, vipUniqidOf } from "../../components/plan";
import { loadTopology } from "../support/engine-fixtures";

describe("identities are stable across releases (golden values)", () => {
  test.each([
    ["wan", "pve2", "vxlpfrhd-vdu65w"],
    ["lan", "pve1", "vxcvyfej-5io1xk"],
    ["lan", "pve2", "vxcvyfej-vdu65w"],
    ["sync-vx", "pve-b", "vxy4tok1-g3pfds"],
  ])("VXLAN port name of tunnel %s towards %s is %s", (tunnel, peer, name) => {
    expect(tunnelPortName(tunnel, peer)).toBe(name);
  });

  test.each([
    ["prod", "wan", 10, "edaac03da1918"],
    ["prod", "lan", 20, "29ceefe125cb5"],
    ["lab", "wan", 1, "da621c5c345c9"],
  ])("CARP VIP uniqid of cluster %s, network %s, VHID %d is %s", (cluster, network, vhid, uniqid) => {
    expect(vipUniqidOf(cluster, network, vhid)).toBe(uniqid);
  });

  test.each([
    ["prod", "sync-pfsync", "4228347397"],
    ["prod", "sync-xmlrpc", "4056142313"],
    ["lab", "sync-pfsync", "4038922000"],
  ])("rule tracker of cluster %s, purpose %s is %s", (cluster, purpose, tracker) => {
    expect(ruleTrackerOf(cluster, purpose)).toBe(tracker);
  });

  test.each([
    ["prod", "lan", "pfha-nat-3eadfdaab9a0"],
    ["prod", "dmz", "pfha-nat-40f5897fd073"],
  ])("outbound NAT marker of cluster %s, source %s is %s", (cluster, source, key) => {
    expect(natKeyOf(cluster, source)).toBe(key);
  });

  test.each([
    ["prod", "pfha_prod_sync"],
    ["lab-cluster", "pfha_lab_cluster_sync"],
    ["a-very-long-cluster-name-for-prod-east", "pfha_93807a960ce2_sync"],
  ])("sync alias of cluster %s is %s", (cluster, alias) => {
    expect(syncAliasNameOf(cluster)).toBe(alias);
  });

  test.each([
    ["wan", "PFHA_WANGW"],
    ["dmz", "PFHA_DMZGW"],
    ["guest-net", "PFHA_GUEST_NETGW"],
  ])("gateway of network %s is %s", (network, name) => {
    expect(gatewayNameOf(network)).toBe(name);
  });

  // The plan keys are the resources' names (their URNs); the identity fields are what pfSense stores. The same on
  // both firewalls: XMLRPC sync copies rules, aliases and NAT verbatim and the secondary's VIPs keep the uniqid.
  test.each(["primary", "secondary"] as const)("the wan-lan-sync stack's plan for the %s: resource keys and pfSense identities", (role) => {
    const { config } = loadTopology("wan-lan-sync");
    const ids = firewallPlanOf(config, config.name, role).map((i) => {
      const s = i.spec as unknown as Record<string, unknown>;
      return [i.key, s.uniqid ?? s.tracker ?? s.key ?? s.name ?? s.interface ?? null];
    });
    expect(ids).toEqual([
      ["if-wan", "wan"],
      ["if-lan", "lan"],
      ["if-sync", "opt1"],
      ["gw-wan", "PFHA_WANGW"],
      ["offloading", null],
      ["vip-wan-1", "a99936f7413ad"],
      ["vip-lan-2", "7be460279879e"],
      ["hasync", null],
      ["alias-sync", "pfha_edge_sync"],
      ["rule-sync-pfsync", "4193031960"],
      ["rule-sync-xmlrpc", "4249362760"],
      ["nat-lan", "pfha-nat-a0118406ab44"],
      ["dhcp-lan", "lan"],
    ]);
  });
});
