// One-line description of a valid cluster (the `validate` command's success output). Pure; never includes secrets.
import { dhcpNetworksOf, type ClusterConfig } from "./types";

export function summarizeCluster(c: ClusterConfig): string {
  const p = c.firewalls.primary;
  const s = c.firewalls.secondary;
  const vips = c.networks.reduce((n, net) => n + net.vips.length + (typeof net.ipv6 === "object" ? 1 : 0), 0);
  const keys = c.networks.filter((n) => n.vxlan).map((n) => n.vxlan?.key);
  const vxlan = keys.length ? `VXLAN keys ${keys.join(",")}` : "no VXLAN";
  const nodes = c.proxmox.nodes.length;
  return (
    `cluster ${c.name}: 2 firewalls (${p.name} primary on ${p.proxmoxNode}, ${s.name} secondary on ${s.proxmoxNode}), ` +
    `networks ${c.networks.map((n) => n.role).join("/")}, ${vips} VIP${vips === 1 ? "" : "s"}, ` +
    `${vxlan} over ${nodes} Proxmox node${nodes === 1 ? "" : "s"}, sync on ${c.hasync.syncNetwork}` +
    dhcpNetworksOf(c).map((n) => `, DHCP ${n.dhcp.failover ? "failover " : ""}on ${n.role}`).join("")
  );
}
