// VXLAN adds 50 bytes over an IPv4 underlay (14 Ethernet + 20 IPv4 + 8 UDP + 8 VXLAN), 70 over IPv6. OVS sets DF on
// the outer header, so an overlay MTU that does not fit is silently dropped traffic, not fragmentation.
import { isIPv6 } from "net";
import { problem } from "../../config/rules";
import type { Problem } from "../../config/problems";

export function vxlanOverhead(underlayAddress: string): number {
  return isIPv6(underlayAddress) ? 70 : 50;
}

/** Problems when `overlayMtu` does not fit in `underlayMtu` minus the VXLAN overhead; the fix names both ways out. */
export function checkVxlanMtu(key: string, underlayMtu: number, overlayMtu: number, underlayAddress: string): Problem[] {
  const overhead = vxlanOverhead(underlayAddress);
  if (underlayMtu - overhead >= overlayMtu) return [];
  const family = overhead === 70 ? "IPv6" : "IPv4";
  return [
    problem(
      key,
      overlayMtu,
      `overlay MTU ${overlayMtu} does not fit in the underlay MTU ${underlayMtu} minus VXLAN's ${overhead}-byte overhead over ${family}`,
      `raise the underlay MTU to at least ${overlayMtu + overhead}, or lower the overlay MTU to at most ${underlayMtu - overhead}`,
    ),
  ];
}
