// What pfSense's own XMLRPC sync writes on the secondary, so writing both nodes never fights the sync: each kind's
// descriptor says it (`mirror`); without one the item is copied verbatim, as xmlrpc.php restore_config_section does
// for filter/aliases/nat (full-replaced as sent: same tracker, same descr).
import { ELEMENT_KINDS, type ElementItem } from "./kinds";
import type { AnyElementDescriptor, NodeRole } from "./descriptor";

export { secondarySkew, type NodeRole } from "./descriptor";

/** An element of some kind with what its mirror needs (the plan's item without its key). */
export type NodeSpec = ElementItem;

/** The spec to write on `role`, given the primary's spec. */
export function forNode<T extends NodeSpec>(role: NodeRole, item: T): T {
  if (role === "primary") return item;
  const d: AnyElementDescriptor = ELEMENT_KINDS[item.kind];
  return d.mirror ? (d.mirror(item) as T) : item;
}
