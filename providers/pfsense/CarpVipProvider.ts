// CarpVip dynamic provider: one CARP VIP in one firewall's config.xml, applied with pfSense's VIP functions.
import { randomBytes } from "crypto";
import { checkAdvbase, checkAdvskew, checkIntegerRange, checkIpv4, checkPfsenseInterface, checkVhid, problem } from "../../config/rules";
import type { Problem } from "../../config/problems";
import { ElementProvider, type ElementInputs, type ElementSpec } from "./resources/element-provider";
import { readCarpVip, removeCarpVip, upsertCarpVip, type CarpVipFields } from "./resources/carp-vip-element";

export interface CarpVipInputs extends ElementInputs, Omit<CarpVipFields, "uniqid"> {
  /** Generated once by check (13 hex characters, like PHP uniqid()); the secondary gets the primary's. */
  uniqid?: string;
}

/** 13 hex characters like PHP's uniqid(): seconds then microsecond-ish entropy. */
export function newUniqid(): string {
  return Math.floor(Date.now() / 1000).toString(16).padStart(8, "0") + randomBytes(3).toString("hex").slice(0, 5);
}

export function validateCarpVip(i: CarpVipInputs): Problem[] {
  const p: Problem[] = [
    ...checkPfsenseInterface("interface", i.interface),
    ...checkIpv4("address", i.address),
    ...checkIntegerRange("subnetBits", i.subnetBits, 1, 32, "subnet bits"),
    ...checkVhid("vhid", i.vhid),
    ...checkAdvbase("advbase", i.advbase),
    ...checkAdvskew("advskew", i.advskew),
  ];
  if (typeof i.password !== "string" || i.password.length === 0) {
    p.push(problem("password", "[secret]", "is empty: pfSense requires a password for CARP", "set pfsense-ha:carpPassword with --secret"));
  }
  if (typeof i.description !== "string") p.push(problem("description", i.description, "is not a string", "write a short text"));
  if (i.uniqid !== undefined && !/^[0-9a-f]{13}$/.test(i.uniqid)) {
    p.push(problem("uniqid", i.uniqid, "is not 13 lowercase hex characters", "leave it unset (generated) or copy the primary's"));
  }
  return p;
}

const spec: ElementSpec<CarpVipInputs> = {
  kind: "CarpVip",
  section: "vip",
  validate: validateCarpVip,
  withIdentity: (olds, news) => ({ ...news, uniqid: news.uniqid ?? olds.uniqid ?? newUniqid() }),
  identity: (i) => i.uniqid as string,
  replaceKeys: ["uniqid"],
  upsert: (doc, i) => upsertCarpVip(doc, { ...i, uniqid: i.uniqid as string }),
  remove: (doc, i) => removeCarpVip(doc, i.uniqid as string),
  read: (doc, i) => readCarpVip(doc, i.uniqid as string),
  secrets: (i) => [i.password],
};

export class CarpVipProvider extends ElementProvider<CarpVipInputs> {
  constructor() {
    super(spec);
  }
}
