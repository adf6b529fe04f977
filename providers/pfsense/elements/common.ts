// Shared bits of the element edits: a change recorder that produces the diff lines (never printing secrets)
// and input checks that fail with the field, the bad value and the fix.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, setFlag, setValue, textIn } from "../codec-tree";
import { isIpv4 } from "../../../config/ipv4";

export interface EditResult {
  changed: boolean;
  diff: string[];
}

export class ElementInputError extends Error {
  constructor(field: string, value: unknown, fix: string) {
    const message = `${field}: ${JSON.stringify(value)} is invalid; ${fix}`;
    super(message);
    // Set again: after Pulumi's closure serialization a subclass of Error no longer gets it from super()
    this.message = message;
    this.name = "ElementInputError";
  }
}

/** Records value/flag edits under a label (e.g. "vip 65f1c2a9b3e4d") as diff lines. */
export class ChangeLog {
  readonly diff: string[];
  // Assigned in the constructor: class field initializers are dropped by Pulumi's closure serialization.
  constructor(
    private readonly doc: PfConfigDoc,
    private readonly label: string,
  ) {
    this.diff = [];
  }

  value(parent: PfElement, tag: string, value: string, opts: { secret?: boolean; index?: number } = {}): void {
    const before = textIn(this.doc, child(parent, tag));
    if (!setValue(this.doc, parent, tag, value, opts.index)) return;
    this.diff.push(
      opts.secret
        ? `${this.label} ${tag}: (secret, ${before === undefined ? "set" : "changed"})`
        : `${this.label} ${tag}: ${before === undefined ? "(absent)" : JSON.stringify(before)} -> ${JSON.stringify(value)}`,
    );
  }

  flag(parent: PfElement, tag: string, on: boolean, index?: number): void {
    if (setFlag(parent, tag, on, index)) this.diff.push(`${this.label} ${tag}: ${on ? "off -> on" : "on -> off"}`);
  }

  note(line: string): void {
    this.diff.push(`${this.label} ${line}`);
  }

  result(): EditResult {
    return { changed: this.diff.length > 0, diff: this.diff };
  }
}

function hasControlChar(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 32) return true;
  return false;
}

export const PF_IFNAME = /^(wan|lan|opt[1-9][0-9]{0,2})$/;

/** pfSense interface (config.xml) name: wan, lan or optN, not a Linux device. */
export function checkPfIfName(field: string, v: string): void {
  if (!PF_IFNAME.test(v)) throw new ElementInputError(field, v, "use a pfSense interface name: wan, lan or optN");
}

export function checkIpv4(field: string, v: string): void {
  if (!isIpv4(v)) throw new ElementInputError(field, v, "use a dotted IPv4 address such as 192.0.2.10");
}

export function checkInt(field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ElementInputError(field, v, `use an integer from ${min} to ${max}`);
}

export function checkText(field: string, v: string, max = 200): void {
  if (typeof v !== "string" || v.length > max || hasControlChar(v)) {
    throw new ElementInputError(field, v, `use at most ${max} printable characters`);
  }
}

export function checkSecret(field: string, v: string): void {
  if (typeof v !== "string" || v.length === 0 || hasControlChar(v)) {
    // never echo a secret
    throw new Error(`${field}: (secret) is empty or contains control characters; set a non-empty printable password`);
  }
}
