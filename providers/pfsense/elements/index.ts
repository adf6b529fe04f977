// The pure HA element edits, one module per element kind ending in its descriptor (see each file for the pfSense
// source it mirrors), and the registry of the kinds.
export * from "./common";
export * from "./marker";
export * from "./descriptor";
export * from "./kinds";
export * from "./carp-vip";
export * from "./hasync";
export * from "./filter-rule";
export * from "./alias";
export * from "./outbound-nat";
export * from "./dhcp";
export * from "./interface";
export * from "./gateway";
export { forNode, type NodeSpec } from "./mirror";
export * from "./offloading";
export * from "./vpn-binding";
export * from "./port-forward";
export * from "./one-to-one";
