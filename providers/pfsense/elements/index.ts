// The pure HA element edits, one module per element kind (see each file for the pfSense source it mirrors).
export * from "./common";
export * from "./marker";
export * from "./carp-vip";
export * from "./hasync";
export * from "./filter-rule";
export * from "./alias";
export * from "./outbound-nat";
export * from "./dhcp";
export * from "./interface";
export * from "./gateway";
export * from "./mirror";
export * from "./offloading";
export * from "./vpn-binding";
export * from "./port-forward";
export * from "./one-to-one";
