// The output contract: shape checking and reading it from another stack through a StackReference.
import { parseClusterOutputs, CONTRACT_VERSION, type ClusterOutputs } from "../../components/outputs";

const sample: ClusterOutputs = {
  contractVersion: 1,
  gateway: "192.168.1.1",
  vips: { wan: { address: "203.0.113.10", prefix: 24, vhid: 1 }, lan: { address: "192.168.1.1", prefix: 24, vhid: 2 } },
  nodes: [
    { name: "fw1", role: "primary", addresses: { wan: "203.0.113.11", lan: "192.168.1.2" }, vmId: 101, proxmoxNode: "pve1" },
    { name: "fw2", role: "secondary", addresses: { wan: "203.0.113.12", lan: "192.168.1.3" }, vmId: null, proxmoxNode: null },
  ],
  networks: { wan: { bridge: "vmbr0", subnet: "203.0.113.0/24" }, lan: { bridge: "vmbr1", subnet: "192.168.1.0/24" } },
  vxlan: { lan: { key: 5000, dstPort: 4789, ports: { pve1: ["vx-pve2"], pve2: ["vx-pve1"] } } },
};

test("a well-formed v1 object passes through unchanged", () => {
  expect(CONTRACT_VERSION).toBe(1);
  expect(parseClusterOutputs(JSON.parse(JSON.stringify(sample)))).toEqual(sample);
});

test("another contract version is refused with the version named", () => {
  expect(() => parseClusterOutputs({ ...sample, contractVersion: 2 })).toThrow(/contractVersion is 2, expected 1/);
});

test("a bad field is named with its path and value", () => {
  const bad = JSON.parse(JSON.stringify(sample));
  bad.vips.lan.vhid = "two";
  expect(() => parseClusterOutputs(bad)).toThrow(/vips\.lan\.vhid is "two", expected an integer/);
  const badRole = JSON.parse(JSON.stringify(sample));
  badRole.nodes[1].role = "backup";
  expect(() => parseClusterOutputs(badRole)).toThrow(/nodes\[1\]\.role is "backup"/);
});

test("readClusterOutputs reads every field from the referenced stack", async () => {
  let gateway: unknown;
  let referenced: unknown;
  await jest.isolateModulesAsync(async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { readClusterOutputs } = require("../../components/outputs") as typeof import("../../components/outputs");
    await pulumi.runtime.setMocks({
      newResource: (a) => {
        referenced = a.inputs.name;
        return { id: a.inputs.name, state: { ...a.inputs, outputs: sample, secretOutputNames: [] } };
      },
      call: (a) => a.inputs,
    });
    const c = readClusterOutputs(new pulumi.StackReference("organization/pfsense-ha/dev"));
    gateway = await new Promise((r) => c.apply((x) => r(x.gateway)));
  });
  expect(referenced).toBe("organization/pfsense-ha/dev");
  expect(gateway).toBe("192.168.1.1");
});
