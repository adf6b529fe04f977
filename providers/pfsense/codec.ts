// pfSense config.xml codec: parse and build with pfSense's own serialisation (xmlparse.inc dump_xml_config_sub):
// one element per line, TAB indentation, `<tag></tag>` for empty values, `<tag>\n<indent></tag>` for an empty
// section, CDATA holding HTML-escaped text for is_cdata_entity() tags. Every value keeps its raw (still encoded)
// text, so an untouched document builds byte-identical; only values set through codec-tree.ts are re-encoded.
// A dedicated scanner is used instead of fast-xml-parser's tree: fast-xml-parser cannot tell `<aliases>\n\t</aliases>`
// (empty section) from `<aliases></aliases>` (empty value) and re-formats CDATA, so its output is not byte-identical.
// fast-xml-parser's XMLValidator is still used by the tests to prove that what we build is well-formed XML.
import type { TextEncoding } from "./codec-entities";

export interface PfElement {
  tag: string;
  /** null = a value (leaf); an array (possibly empty) = a section holding child elements. */
  children: PfElement[] | null;
  /** Raw text of a leaf exactly as in the file (entity-encoded; CDATA content without the markers). */
  raw: string;
  /** The leaf's text is written inside <![CDATA[ ]]>. */
  cdata: boolean;
}

export interface PfConfigDoc {
  /** Everything before the root element (pfSense: `<?xml version="1.0"?>\n`). */
  header: string;
  root: PfElement;
  /** Everything after the root's closing tag (pfSense: "\n"). */
  trailer: string;
  /** How this document's text values are entity-encoded (by `<version>`: >= 24.5 is ENT_XML1). */
  encoding: TextEncoding;
  /** False when the input's whitespace was not pfSense's own (buildConfigXml then normalises it). */
  canonical: boolean;
}

export const PFSENSE_HEADER = '<?xml version="1.0"?>\n';

export class ConfigXmlError extends Error {
  constructor(message: string) {
    super(message);
    // Set again: after Pulumi's closure serialization a subclass of Error no longer gets it from super()
    this.message = message;
    this.name = "ConfigXmlError";
  }
}

// [A-Za-z0-9_.:-] by char code (a per-character regex test is measurably slower on 5 MB).
function isTagChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 95 || c === 46 || c === 45;
}

/** True when text[from, to) is exactly "\n" followed by `tabs` TABs. */
function isIndent(text: string, from: number, to: number, tabs: number): boolean {
  if (to - from !== tabs + 1 || text.charCodeAt(from) !== 10) return false;
  for (let i = from + 1; i < to; i++) if (text.charCodeAt(i) !== 9) return false;
  return true;
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < pos; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Parse config.xml text. Throws ConfigXmlError (with the line) on anything pfSense would not have written. */
export function parseConfigXml(text: string): PfConfigDoc {
  const fail = (pos: number, what: string): never => {
    throw new ConfigXmlError(`config.xml line ${lineOf(text, pos)}: ${what}; expected pfSense's config.xml format`);
  };
  let canonical = true;
  let pos = 0;
  // header: optional XML declaration
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>", pos);
    if (end === -1) fail(0, "unterminated XML declaration");
    pos = end + 2;
  }
  const rootStart = text.indexOf("<", pos);
  if (rootStart === -1) fail(pos, "no root element");
  const header = text.slice(0, rootStart);
  if (header !== PFSENSE_HEADER) canonical = false;

  const readOpenTag = (at: number): { tag: string; end: number } => {
    // at points to '<'
    let i = at + 1;
    while (i < text.length && isTagChar(text.charCodeAt(i))) i++;
    const tag = text.slice(at + 1, i);
    if (tag.length === 0) fail(at, `unexpected ${JSON.stringify(text.slice(at, at + 12))}`);
    if (text[i] === "/" && text[i + 1] === ">") return { tag: tag + "/", end: i + 2 };
    if (text[i] !== ">") fail(at, `element <${tag}> has attributes or a malformed tag (pfSense writes none)`);
    return { tag, end: i + 1 };
  };

  const expectClose = (at: number, tag: string): number => {
    const close = `</${tag}>`;
    if (!text.startsWith(close, at)) fail(at, `expected ${close}`);
    return at + close.length;
  };

  const isWsAt = (i: number): boolean => {
    const c = text.charCodeAt(i);
    return c === 10 || c === 9 || c === 32 || c === 13;
  };

  // Iterative descent (configs are shallow, but a stack avoids any recursion limit).
  interface Frame { el: PfElement; depth: number }
  const open = readOpenTag(rootStart);
  if (open.tag.endsWith("/")) fail(rootStart, "empty root element");
  const root: PfElement = { tag: open.tag, children: [], raw: "", cdata: false };
  const stack: Frame[] = [{ el: root, depth: 0 }];
  pos = open.end;
  // The root is always a section.
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    // skip whitespace, check it is pfSense's "\n" + tabs
    const wsStart = pos;
    while (pos < text.length && isWsAt(pos)) pos++;
    if (pos >= text.length) fail(pos, `unexpected end of file inside <${frame.el.tag}>`);
    if (text[pos] !== "<") fail(pos, `text ${JSON.stringify(text.slice(pos, pos + 20))} inside section <${frame.el.tag}>`);
    if (text[pos + 1] === "/") {
      if (!isIndent(text, wsStart, pos, frame.depth)) canonical = false;
      pos = expectClose(pos, frame.el.tag);
      stack.pop();
      continue;
    }
    if (text.startsWith("<!--", pos) || text.startsWith("<?", pos) || text.startsWith("<!", pos)) {
      fail(pos, "comments, processing instructions and DOCTYPEs are not part of pfSense's format");
    }
    if (!isIndent(text, wsStart, pos, frame.depth + 1)) canonical = false;
    const child = readOpenTag(pos);
    const children = frame.el.children as PfElement[];
    if (child.tag.endsWith("/")) {
      // <tag/> is never written by pfSense; read it as an empty value.
      canonical = false;
      children.push({ tag: child.tag.slice(0, -1), children: null, raw: "", cdata: false });
      pos = child.end;
      continue;
    }
    pos = child.end;
    const tag = child.tag;
    if (text.startsWith(`</${tag}>`, pos)) {
      children.push({ tag, children: null, raw: "", cdata: false });
      pos += tag.length + 3;
      continue;
    }
    if (text.startsWith("<![CDATA[", pos)) {
      const end = text.indexOf("]]>", pos + 9);
      if (end === -1) fail(pos, `unterminated CDATA in <${tag}>`);
      children.push({ tag, children: null, raw: text.slice(pos + 9, end), cdata: true });
      pos = expectClose(end + 3, tag);
      continue;
    }
    // Either text (a value) or whitespace followed by a child / the closing tag (a section).
    let look = pos;
    while (look < text.length && isWsAt(look)) look++;
    if (text[look] === "<") {
      if (look === pos) fail(pos, `malformed content in <${tag}>`);
      if (text[look + 1] === "/" && !text.startsWith(`</${tag}>`, look)) fail(look, `expected </${tag}>`);
      const el: PfElement = { tag, children: [], raw: "", cdata: false };
      children.push(el);
      stack.push({ el, depth: frame.depth + 1 });
      continue; // whitespace before the first child / the close is checked by the loop
    }
    const end = text.indexOf("<", pos);
    if (end === -1) fail(pos, `unterminated <${tag}>`);
    if (text.startsWith("<![CDATA[", end)) fail(end, `mixed text and CDATA in <${tag}>`);
    children.push({ tag, children: null, raw: text.slice(pos, end), cdata: false });
    pos = expectClose(end, tag);
  }
  const trailer = text.slice(pos);
  if (trailer.trim() !== "") fail(pos, "content after the root element");
  if (trailer !== "\n") canonical = false;
  const doc: PfConfigDoc = { header, root, trailer, encoding: "html401", canonical };
  doc.encoding = encodingForVersion(versionText(root));
  return doc;
}

function versionText(root: PfElement): string | undefined {
  const v = (root.children ?? []).find((c) => c.tag === "version");
  return v && v.children === null ? v.raw : undefined;
}

/** Config >= 24.5 (pfSense master, upgrade_244_to_245) uses ENT_XML1; older ones HTML 4.01 entities. */
export function encodingForVersion(version: string | undefined): TextEncoding {
  if (version === undefined) return "html401";
  const n = Number(version.trim());
  return Number.isFinite(n) && n >= 24.5 ? "xml1" : "html401";
}

/** Build config.xml text exactly as pfSense's dump_xml_config() lays it out. */
export function buildConfigXml(doc: PfConfigDoc): string {
  // String concatenation (V8 ropes) is faster here than collecting millions of parts for join().
  let out = doc.header + "<" + doc.root.tag + ">";
  const indents: string[] = ["\n"];
  const emit = (el: PfElement, depth: number): void => {
    const ind = (indents[depth] ??= "\n" + "\t".repeat(depth));
    if (el.children === null) {
      out += el.cdata ? `${ind}<${el.tag}><![CDATA[${el.raw}]]></${el.tag}>` : `${ind}<${el.tag}>${el.raw}</${el.tag}>`;
      return;
    }
    out += `${ind}<${el.tag}>`;
    for (const c of el.children) emit(c, depth + 1);
    out += `${ind}</${el.tag}>`;
  };
  for (const c of doc.root.children ?? []) emit(c, 1);
  return out + "\n</" + doc.root.tag + ">" + doc.trailer;
}
