// Example workload stack: a VM on the firewall cluster's LAN whose default gateway is the LAN CARP VIP,
// read from the pfsense-ha stack's versioned output contract. It keeps working across a firewall failover
// because it never points at a node address.
import * as pulumi from "@pulumi/pulumi";
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
// A real consumer would vendor or package this one file; it has no dependency on the rest of pfsense-ha.
import { readClusterOutputs } from "../../components/outputs";

const config = new pulumi.Config();
const firewall = readClusterOutputs(new pulumi.StackReference(config.require("firewallStack")));
const hostIndex = config.getNumber("hostIndex") ?? 50;

/** "192.168.1.0/24", 50 -> "192.168.1.50/24" (the host number must fit in the subnet). */
function hostAddress(subnet: string, host: number): string {
  const [net, prefix] = subnet.split("/");
  const base = net.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  if (host < 1 || host >= 2 ** (32 - Number(prefix)) - 1) throw new Error(`hostIndex ${host} does not fit in ${subnet}`);
  const n = base + host;
  return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${prefix}`;
}

const lan = firewall.apply((c) => {
  const network = c.networks.lan;
  if (!network) throw new Error(`the firewall stack has no "lan" network (it has: ${Object.keys(c.networks).join(", ")})`);
  return { bridge: network.bridge, address: hostAddress(network.subnet, hostIndex), gateway: c.gateway };
});

const vm = new proxmox.VmLegacy("workload", {
  nodeName: config.require("proxmoxNode"),
  name: "workload",
  clone: { vmId: config.requireNumber("templateVmId"), full: true },
  cpu: { type: "host", cores: 1 },
  memory: { dedicated: 1024 },
  networkDevices: [{ bridge: lan.bridge, model: "virtio" }],
  initialization: { ipConfigs: [{ ipv4: { address: lan.address, gateway: lan.gateway } }] },
});

export const workloadVmId = vm.vmId;
export const workloadAddress = lan.address;
export const workloadGateway = lan.gateway;
