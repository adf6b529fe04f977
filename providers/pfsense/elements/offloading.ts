// System > Advanced > Networking > "Disable hardware checksum offload" (`<system><disablechecksumoffloading>`), what
// pfSense on Proxmox's VirtIO NICs needs (FreeBSD bug 165059: corrupted or dropped traffic through the firewall).
// The GUI (system_advanced_network.inc, doAdvancedNetworkingPOST) sets `$config['system']['disablechecksumoffloading']
// = true` (dumped as an empty element), calls setup_microcode() and write_config(), and asks for a reboot: nothing is
// applied live. The flag takes effect where pfSense configures an interface (pfsense-utils.inc
// hardware_offloading_applyflags, from interface_configure), so it needs no apply section here either.
// One global flag, no identity of its own: removing the resource leaves it set (turning offloading back on is a
// human decision), and a human's flag is simply already there.
import type { PfConfigDoc } from "../codec";
import { ensurePath, getPath } from "../codec-tree";
import { ChangeLog, ElementInputError, type EditResult } from "./common";
import type { ElementDescriptor } from "./descriptor";

export interface OffloadingSpec {
  /** Always true: the stack only ever disables checksum offloading. */
  disableChecksumOffloading: true;
}

export const OFFLOADING_FLAG = "disablechecksumoffloading";

export function validateOffloading(spec: OffloadingSpec): void {
  if (spec.disableChecksumOffloading !== true) {
    throw new ElementInputError("disableChecksumOffloading", spec.disableChecksumOffloading, "use true (the stack only disables checksum offloading; it never turns it back on)");
  }
}

export function upsertOffloading(doc: PfConfigDoc, spec: OffloadingSpec): EditResult {
  validateOffloading(spec);
  const log = new ChangeLog(doc, "system");
  log.flag(ensurePath(doc.root, "system"), OFFLOADING_FLAG, true);
  return log.result();
}

export function readOffloading(doc: PfConfigDoc): OffloadingSpec | undefined {
  return getPath(doc.root, `system/${OFFLOADING_FLAG}`) !== undefined ? { disableChecksumOffloading: true } : undefined;
}

/** VirtIO NICs as FreeBSD names them (vtnet0, vtnet1, …). */
export function isVirtioDevice(device: string): boolean {
  return /^vtnet[0-9]+$/.test(device);
}

/**
 * Offloading: the flag, one per firewall. Delete leaves it set (see above). Not synced by XMLRPC (System > Advanced
 * is per node): the cluster's plan writes it on each node whose NICs are VirtIO.
 */
export const offloadingElement: ElementDescriptor<OffloadingSpec> = {
  resource: "Offloading",
  provider: "offloading",
  component: { name: "Offloading", previous: ["pfsense-ha:pfsense:OffloadingComponent"] },
  section: "system",
  secretSpec: false,
  normalize: (_old, spec) => spec,
  identity: () => "system/disablechecksumoffloading",
  validate: (s) => validateOffloading(s),
  upsert: (doc, s) => upsertOffloading(doc, s),
  remove: () => undefined,
  keptOnDelete: () => true,
  read: (doc) => readOffloading(doc),
  secrets: () => [],
};
