// Typed edit helpers over the codec's tree. Setting a value re-encodes it the way pfSense would
// (CDATA per is_cdata_entity(), htmlentities per the document's encoding); setting the value it already
// has keeps the raw bytes, so no-op edits never change the file.
import { decodeEntities, encodeEntities } from "./codec-entities";
import type { PfConfigDoc, PfElement } from "./codec";

/** listtags() in xmlparse.inc (2.7.2 + master): these tags are PHP lists, i.e. always arrays.
 *  A space-separated string, not a Set: Sets do not survive Pulumi's closure serialization. */
const LIST_TAGS =
  " " +
  ("alias aliasurl allowedip allowedhostname authserver bridged ca cert crl clone config container columnitem " +
    "depends_on_package disk dnsserver dnsupdate domainoverrides dyndns earlyshellcmd element encryption-algorithm-option " +
    "field fieldname hash-algorithm-option gateway_item gateway_group gif gre group hosts member ifgroupentry igmpentry " +
    "interface_array item key lagg laggroup lbaction lbpool l7rules lbprotocol member menu tab mobilegroup mobilekey " +
    "monitor_type mount ntpserver npt openvpn-server openvpn-client openvpn-csc option ppp pkg priv proxyarpnet qinqentry " +
    "queue pages pipe radnsserver roll route row rrddatafile rule schedule service servernat servers serversdisabled " +
    "shellcmd staticmap subqueue switch timerange tunnel user vip virtual_server vlan winsserver wolentry widget " +
    "onetoone phase1 phase2") +
  " ";

export function isListTag(tag: string): boolean {
  return !tag.includes(" ") && LIST_TAGS.includes(` ${tag} `);
}

/** is_cdata_entity() prefixes (xmlparse.inc): a tag starting with one of these is written as CDATA. */
const CDATA_PREFIX =
  /^(aclname|auth_pass|auth_prompt|auth_user|certca|certname|city|common_name|descr|detail|email|encryption_password|hint|ldap_|login_banner|organization|password|proxypass|proxyuser|rangedescr|state|text|username|varusersusername|varuserspassword)/;

export function isCdataTag(tag: string): boolean {
  return CDATA_PREFIX.test(tag);
}

export function section(tag: string, children: PfElement[] = []): PfElement {
  return { tag, children, raw: "", cdata: false };
}

/** A leaf holding `value`, encoded as pfSense writes it. */
export function leaf(doc: PfConfigDoc, tag: string, value: string): PfElement {
  // dump_xml_config_sub() writes "" as `<tag></tag>` before its CDATA check, so an empty value never gets CDATA.
  return { tag, children: null, raw: encodeEntities(value, doc.encoding), cdata: value !== "" && isCdataTag(tag) };
}

/** A flag (PHP true / "" → `<tag></tag>`). */
export function flag(tag: string): PfElement {
  return { tag, children: null, raw: "", cdata: false };
}

export function kids(el: PfElement): PfElement[] {
  if (el.children === null) throw new Error(`<${el.tag}> is a value, not a section`);
  return el.children;
}

export function child(el: PfElement, tag: string): PfElement | undefined {
  return el.children?.find((c) => c.tag === tag);
}

export function childrenByTag(el: PfElement, tag: string): PfElement[] {
  return (el.children ?? []).filter((c) => c.tag === tag);
}

export function getPath(root: PfElement, path: string): PfElement | undefined {
  let cur: PfElement | undefined = root;
  for (const part of path.split("/")) {
    if (cur === undefined) return undefined;
    cur = child(cur, part);
  }
  return cur;
}

/**
 * Get or create the section at `path` (relative to root). A value element found on the way (pfSense writes an
 * empty section such as `<virtualip></virtualip>` as a value) is turned into a section. New sections are appended.
 */
export function ensurePath(root: PfElement, path: string): PfElement {
  let cur = root;
  for (const part of path.split("/")) {
    let next = child(cur, part);
    if (next === undefined) {
      next = section(part);
      kids(cur).push(next);
    } else if (next.children === null) {
      if (next.raw.trim() !== "") throw new Error(`<${part}> holds a value (${JSON.stringify(textOf(next))}), expected a section`);
      next.children = [];
      next.raw = "";
      next.cdata = false;
    }
    cur = next;
  }
  return cur;
}

/** Decoded text of a value element, as pfSense reads it (html_entity_decode + trim of \t\n\r). */
export function textIn(doc: PfConfigDoc, el: PfElement | undefined): string | undefined {
  if (el === undefined || el.children !== null) return undefined;
  return decodeEntities(el.raw, doc.encoding).replace(/^[\t\n\r]+|[\t\n\r]+$/g, "");
}

/** Decoded text without a doc (HTML 4.01 decoding). Prefer textIn. */
export function textOf(el: PfElement): string {
  return decodeEntities(el.raw, "html401");
}

export function valueOf(doc: PfConfigDoc, parent: PfElement, tag: string): string | undefined {
  return textIn(doc, child(parent, tag));
}

export function hasFlag(parent: PfElement, tag: string): boolean {
  return child(parent, tag) !== undefined;
}

/**
 * Set the value of `parent/tag`, creating it (at `index`, default: end) when missing.
 * Returns true when the document changed.
 */
export function setValue(doc: PfConfigDoc, parent: PfElement, tag: string, value: string, index?: number): boolean {
  const existing = child(parent, tag);
  if (existing !== undefined && existing.children === null && textIn(doc, existing) === value) return false;
  const fresh = leaf(doc, tag, value);
  if (existing !== undefined) {
    Object.assign(existing, fresh);
    return true;
  }
  insertChild(parent, fresh, index);
  return true;
}

/** Flags: presence = on (pfSense tests isset()); clearing removes the element. Returns true when changed. */
export function setFlag(parent: PfElement, tag: string, on: boolean, index?: number): boolean {
  const existing = child(parent, tag);
  if (on) {
    if (existing !== undefined) return false;
    insertChild(parent, flag(tag), index);
    return true;
  }
  if (existing === undefined) return false;
  removeChild(parent, existing);
  return true;
}

export function insertChild(parent: PfElement, el: PfElement, index?: number): void {
  const list = kids(parent);
  if (index === undefined || index >= list.length) list.push(el);
  else list.splice(Math.max(0, index), 0, el);
}

export function removeChild(parent: PfElement, el: PfElement): boolean {
  const list = kids(parent);
  const i = list.indexOf(el);
  if (i === -1) return false;
  list.splice(i, 1);
  return true;
}

/** Deep copy (used to snapshot before an edit). */
export function cloneElement(el: PfElement): PfElement {
  return { tag: el.tag, children: el.children === null ? null : el.children.map(cloneElement), raw: el.raw, cdata: el.cdata };
}

/**
 * Whether two elements hold the same content: tags, values and children in order. Whether a value is written inside
 * CDATA is not content (pfSense reads both the same). Independent of how the objects were made (parsed, built, cloned).
 */
export function sameElement(a: PfElement, b: PfElement): boolean {
  if (a.tag !== b.tag || a.raw !== b.raw) return false;
  if (a.children === null || b.children === null) return a.children === b.children;
  return sameElements(a.children, b.children);
}

/** sameElement for two lists, pairwise in order. */
export function sameElements(a: readonly PfElement[], b: readonly PfElement[]): boolean {
  return a.length === b.length && a.every((el, i) => sameElement(el, b[i]));
}

/** Plain object view: values decoded, list tags always arrays, sections as objects (for reads and drift). */
export type PlainValue = string | PlainObject | PlainValue[];
export interface PlainObject {
  [tag: string]: PlainValue;
}

export function toPlain(doc: PfConfigDoc, el: PfElement): PlainValue {
  if (el.children === null) return textIn(doc, el) ?? "";
  const out: PlainObject = {};
  for (const c of el.children) {
    const v = toPlain(doc, c);
    if (isListTag(c.tag)) {
      const arr = (out[c.tag] as PlainValue[] | undefined) ?? [];
      arr.push(v);
      out[c.tag] = arr;
    } else out[c.tag] = v;
  }
  return out;
}
