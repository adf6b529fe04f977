// CarpVip: a CARP VIP on an existing pfSense pair, without the rest of the cluster, in the words of pfSense's
// Firewall > Virtual IPs page: written on the primary and, as pfSense's XMLRPC sync would write it, on the secondary
// (same uniqid, advskew + 100 capped at 254). FirewallCarpVip: the VIP on one firewall from a spec as
// components/plan.ts makes it (what PfSenseHaCluster declares per firewall). The password, and with it the whole
// spec, is secret.
import { createHash } from "crypto";
import * as pulumi from "../../providers/pulumi-sdk";
import { PfSenseElement, type ElementArgsOf } from "./element-component";
import { ElementResource } from "../../providers/pfsense/resources/dynamic";
import type { CarpVipInputSpec, CarpVipSpec } from "../../providers/pfsense/elements/carp-vip";
import { forNode } from "../../providers/pfsense/elements/mirror";
import type { SshEndpoint } from "../../providers/ssh/types";
import { COMPONENT_TOKENS, componentOptions } from "../tokens";

/** A CARP VIP on an existing pfSense pair. */
export interface CarpVipArgs {
  /** pfSense's interface name the VIP lives on: `wan`, `lan` or `optN` (as in config.xml, not the device). */
  interface: pulumi.Input<string>;
  /** The VIP, e.g. "192.168.1.1": a free host address of the interface's subnet. */
  address: pulumi.Input<string>;
  /** The interface subnet's prefix length, e.g. 24 (pfSense writes a CARP VIP with its network's mask). */
  prefix: pulumi.Input<number>;
  /** Virtual host id, 1-255, unique on the interface (and on the layer-2 segment). */
  vhid: pulumi.Input<number>;
  /** The VHID's password, the same on both firewalls. Kept secret. */
  password: pulumi.Input<string>;
  /** The primary's advertisement skew, 0-254 (0). The secondary gets this + 100, at most 254, as XMLRPC sync writes it. */
  advskew?: pulumi.Input<number>;
  /** Advertisement base in seconds, 1-254 (1). */
  advbase?: pulumi.Input<number>;
  /** Description shown in pfSense's GUI (the resource name). */
  description?: pulumi.Input<string>;
  /** The primary firewall's SSH endpoint (host, port, username, pinned `hostKeySha256`, key). */
  primary: pulumi.Input<SshEndpoint>;
  /** The secondary firewall's SSH endpoint; leave it out when the primary's XMLRPC sync writes the secondary. */
  secondary?: pulumi.Input<SshEndpoint>;
  /** Accept a pfSense config version this project was not checked against (false). */
  allowUnknownVersion?: pulumi.Input<boolean>;
}

/** One firewall, the spec as components/plan.ts makes it (for the secondary: forNode("secondary", …)'s spec). */
export type FirewallCarpVipArgs = ElementArgsOf<"carpVip", CarpVipInputSpec>;

/** The VIP's pfSense `uniqid` for a component name: 13 hex characters like PHP's uniqid(), stable for the name. Pure. */
export function carpVipUniqidOf(name: string): string {
  return createHash("sha256").update(["carpVip", name].join("\u0000")).digest("hex").slice(0, 13);
}

/** The spec of a CarpVipArgs VIP on the primary (plain values). Pure. */
export function carpVipSpecOf(name: string, a: { interface: string; address: string; prefix: number; vhid: number; password: string; advskew?: number; advbase?: number; description?: string }): CarpVipSpec {
  return {
    uniqid: carpVipUniqidOf(name),
    interface: a.interface,
    vhid: a.vhid,
    advskew: a.advskew ?? 0,
    advbase: a.advbase ?? 1,
    password: a.password,
    descr: a.description ?? name,
    subnet: a.address,
    subnetBits: a.prefix,
  };
}

/** The CARP VIP on one firewall (PfSenseHaCluster declares one per firewall and VIP). */
export class FirewallCarpVip extends PfSenseElement<"carpVip"> {
  /** Same as identity. */
  readonly uniqid: pulumi.Output<string>;
  constructor(name: string, args: FirewallCarpVipArgs, opts?: pulumi.ComponentResourceOptions) {
    super("carpVip", name, args, opts);
    this.uniqid = this.identity;
  }
}

/**
 * A CARP VIP. On an existing pair (CarpVipArgs) its children are the VIP on the primary (`<name>-primary`) and on
 * the secondary (`<name>-secondary`); `identity`/`uniqid` is the VIP's pfSense uniqid, the same on both.
 *
 * ```ts
 * new CarpVip("lan-vip", { interface: "lan", address: "192.168.1.1", prefix: 24, vhid: 2,
 *   password: cfg.requireSecret("carpPassword"), primary: fw1, secondary: fw2 });
 * ```
 */
export class CarpVip extends pulumi.ComponentResource {
  /** The VIP's pfSense uniqid. */
  readonly uniqid: pulumi.Output<string>;
  /** Same as uniqid. */
  readonly identity: pulumi.Output<string>;
  /** The primary's config.xml <version>. */
  readonly configVersion: pulumi.Output<string>;

  constructor(name: string, args: CarpVipArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.CarpVip.type, name, {}, componentOptions("CarpVip", opts));
    const spec = pulumi
      .all([args.interface, args.address, args.prefix, args.vhid, args.password, args.advskew, args.advbase, args.description])
      .apply(([iface, address, prefix, vhid, password, advskew, advbase, description]) =>
        carpVipSpecOf(name, { interface: iface, address, prefix, vhid, password, advskew, advbase, description }),
      );
    const common = { allowUnknownVersion: args.allowUnknownVersion };
    const child = { parent: this, dependsOn: opts?.dependsOn };
    const primary = new ElementResource("carpVip", `${name}-primary`, { ...common, endpoint: args.primary, spec: pulumi.secret(spec) }, child);
    if (args.secondary !== undefined) {
      const mirrored = spec.apply((s) => forNode("secondary", { kind: "carpVip" as const, spec: s }).spec);
      new ElementResource("carpVip", `${name}-secondary`, { ...common, endpoint: args.secondary, spec: pulumi.secret(mirrored) }, child);
    }
    this.uniqid = this.identity = primary.identity;
    this.configVersion = primary.configVersion;
    this.registerOutputs({ uniqid: this.uniqid, configVersion: this.configVersion });
  }
}
