// The components usable alone, under Pulumi mocks (wiring only; the element providers themselves are tested on the
// lab): a CarpVip on an existing pfSense pair from the user's words, and the Proxmox provider of the VMs taken
// from opts.providers.
import type { EngineRun } from "../support/engine";
import { loadTopology } from "../support/engine-fixtures";
import type { ClusterSettings } from "../../config/settings";

const FW1 = { host: "192.0.2.21", username: "root", hostKeySha256: "SHA256:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", useAgent: true };
const FW2 = { host: "192.0.2.22", username: "root", hostKeySha256: "SHA256:DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", useAgent: true };

async function run(program: () => unknown): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    result = await runUnderEngine({ program, project: "consumer", stack: "unit", executeDynamic: false });
  });
  if (!result) throw new Error("no run");
  return result;
}

function carpVips(advskew: number): () => Promise<EngineRun> {
  return () =>
    run(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const { CarpVip } = require("../../lib") as typeof import("../../lib");
      const vip = new CarpVip("edge-lan-vip", { interface: "lan", address: "192.168.1.1", prefix: 24, vhid: 7, password: pulumi.secret("pw-123"), advskew, primary: FW1, secondary: FW2 });
      return { uniqid: vip.uniqid };
    });
}

test("a lone CarpVip on an existing pair: the VIP on the primary and, as XMLRPC sync writes it, on the secondary", async () => {
  const r = await carpVips(20)();
  const byName = Object.fromEntries(r.registrations.map((x) => [x.name, x]));
  expect(r.registrations.map((x) => [x.type, x.name])).toEqual([
    ["pfsense-ha:pfsense:CarpVip", "edge-lan-vip"],
    ["pulumi-nodejs:dynamic/pfsense-ha:pfsense:CarpVip:Resource", "edge-lan-vip-primary"],
    ["pulumi-nodejs:dynamic/pfsense-ha:pfsense:CarpVip:Resource", "edge-lan-vip-secondary"],
  ]);
  const spec = { uniqid: "3f2674efbfc42", interface: "lan", vhid: 7, advbase: 1, password: "pw-123", descr: "edge-lan-vip", subnet: "192.168.1.1", subnetBits: 24 };
  expect(byName["edge-lan-vip-primary"].inputs.spec).toEqual({ ...spec, advskew: 20 });
  expect(byName["edge-lan-vip-secondary"].inputs.spec).toEqual({ ...spec, advskew: 120 });
  expect(byName["edge-lan-vip-primary"].inputs.endpoint).toEqual(FW1);
  expect(byName["edge-lan-vip-secondary"].inputs.endpoint).toEqual(FW2);
  for (const n of ["edge-lan-vip-primary", "edge-lan-vip-secondary"]) expect(byName[n].secretInputs).toEqual(expect.arrayContaining(["spec", "endpoint"]));
  expect(byName["edge-lan-vip-primary"].parent).toBe(byName["edge-lan-vip"].urn);
});

test("the secondary's skew is capped at 254", async () => {
  const r = await carpVips(200)();
  expect(r.registrations.find((x) => x.name === "edge-lan-vip-secondary")?.inputs.spec).toMatchObject({ advskew: 254 });
});

test("PfSenseHaCluster: the VMs take the proxmoxve provider of opts.providers", async () => {
  const t = loadTopology("wan-lan-sync");
  let same: boolean[] = [];
  await run(() => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { PfSenseHaCluster } = require("../../lib") as typeof import("../../lib");
    class Proxmox extends pulumi.ProviderResource {}
    const provider = new Proxmox("proxmoxve", "site-a", {});
    const ha = new PfSenseHaCluster(
      "ha",
      { cluster: t.values["pfsense-ha:cluster"] as ClusterSettings, carpPassword: pulumi.secret("c"), xmlrpcPassword: pulumi.secret("x") },
      { providers: [provider] },
    );
    same = [ha.nodes.primary.vm, ha.nodes.secondary.vm].map((vm) => (vm as unknown as { __prov?: unknown }).__prov === provider);
    return {};
  });
  expect(same).toEqual([true, true]);
});
