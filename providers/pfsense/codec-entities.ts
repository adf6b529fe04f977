// PHP htmlentities()/html_entity_decode() as pfSense's xmlparse.inc calls them.
// 2.7.x/2.8.x: PHP 8 defaults ENT_QUOTES|ENT_SUBSTITUTE|ENT_HTML401 → HTML 4.01 named entities, ' as &#039;.
// master (config >= 24.5, upgrade_244_to_245): ENT_XML1 → only & < > " ' are escaped, non-ASCII stays raw.

export type TextEncoding = "html401" | "xml1";

// HTML 4.01 entity table (252 names): Latin-1 160..255 in code point order, then special and symbol names.
const LATIN1 =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute " +
  "micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig " +
  "Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash " +
  "Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc " +
  "euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml " +
  "yacute thorn yuml";
const GREEK_UPPER = "Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho";
const GREEK_UPPER2 = "Sigma Tau Upsilon Phi Chi Psi Omega"; // 931..937 (930 is unassigned)
const GREEK_LOWER =
  "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigmaf sigma tau upsilon " +
  "phi chi psi omega";
const OTHERS: ReadonlyArray<[string, number]> = [
  ["quot", 34], ["amp", 38], ["lt", 60], ["gt", 62], ["OElig", 338], ["oelig", 339], ["Scaron", 352],
  ["scaron", 353], ["Yuml", 376], ["fnof", 402], ["circ", 710], ["tilde", 732], ["thetasym", 977], ["upsih", 978],
  ["piv", 982], ["ensp", 8194], ["emsp", 8195], ["thinsp", 8201], ["zwnj", 8204], ["zwj", 8205], ["lrm", 8206],
  ["rlm", 8207], ["ndash", 8211], ["mdash", 8212], ["lsquo", 8216], ["rsquo", 8217], ["sbquo", 8218],
  ["ldquo", 8220], ["rdquo", 8221], ["bdquo", 8222], ["dagger", 8224], ["Dagger", 8225], ["bull", 8226],
  ["hellip", 8230], ["permil", 8240], ["prime", 8242], ["Prime", 8243], ["lsaquo", 8249], ["rsaquo", 8250],
  ["oline", 8254], ["frasl", 8260], ["euro", 8364], ["image", 8465], ["weierp", 8472], ["real", 8476],
  ["trade", 8482], ["alefsym", 8501], ["larr", 8592], ["uarr", 8593], ["rarr", 8594], ["darr", 8595],
  ["harr", 8596], ["crarr", 8629], ["lArr", 8656], ["uArr", 8657], ["rArr", 8658], ["dArr", 8659], ["hArr", 8660],
  ["forall", 8704], ["part", 8706], ["exist", 8707], ["empty", 8709], ["nabla", 8711], ["isin", 8712],
  ["notin", 8713], ["ni", 8715], ["prod", 8719], ["sum", 8721], ["minus", 8722], ["lowast", 8727], ["radic", 8730],
  ["prop", 8733], ["infin", 8734], ["ang", 8736], ["and", 8743], ["or", 8744], ["cap", 8745], ["cup", 8746],
  ["int", 8747], ["there4", 8756], ["sim", 8764], ["cong", 8773], ["asymp", 8776], ["ne", 8800], ["equiv", 8801],
  ["le", 8804], ["ge", 8805], ["sub", 8834], ["sup", 8835], ["nsub", 8836], ["sube", 8838], ["supe", 8839],
  ["oplus", 8853], ["otimes", 8855], ["perp", 8869], ["sdot", 8901], ["lceil", 8968], ["rceil", 8969],
  ["lfloor", 8970], ["rfloor", 8971], ["lang", 9001], ["rang", 9002], ["loz", 9674], ["spades", 9824],
  ["clubs", 9827], ["hearts", 9829], ["diams", 9830],
];

interface EntityTables {
  html401ByName: Record<string, number>;
  html401ByCode: Record<number, string>;
  xml1ByName: Record<string, number>;
}

// Built once per process and kept on globalThis under a string key: module-level Map/Set values do not survive
// Pulumi's closure serialization of a dynamic provider (they come back as objects with no entries).
const TABLES_KEY = "__pfsenseHaEntityTablesV1";

function entityTables(): EntityTables {
  const g = globalThis as unknown as Record<string, EntityTables | undefined>;
  const cached = g[TABLES_KEY];
  if (cached) return cached;
  const byName: Record<string, number> = {};
  LATIN1.split(" ").forEach((n, i) => (byName[n] = 160 + i));
  GREEK_UPPER.split(" ").forEach((n, i) => (byName[n] = 913 + i));
  GREEK_UPPER2.split(" ").forEach((n, i) => (byName[n] = 931 + i));
  GREEK_LOWER.split(" ").forEach((n, i) => (byName[n] = 945 + i));
  for (const [n, c] of OTHERS) byName[n] = c;
  const byCode: Record<number, string> = {};
  for (const n of Object.keys(byName)) byCode[byName[n]] = n;
  const tables: EntityTables = { html401ByName: byName, html401ByCode: byCode, xml1ByName: { amp: 38, lt: 60, gt: 62, quot: 34, apos: 39 } };
  g[TABLES_KEY] = tables;
  return tables;
}

/** name → code point, HTML 4.01 (for the table-size test). */
export function html401Entities(): ReadonlyArray<[string, number]> {
  const t = entityTables().html401ByName;
  return Object.keys(t).map((n) => [n, t[n]]);
}

/** PHP htmlentities($s) (ENT_QUOTES) for the given table. */
export function encodeEntities(value: string, encoding: TextEncoding): string {
  const byCode = entityTables().html401ByCode;
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (code === 39) out += encoding === "xml1" ? "&apos;" : "&#039;";
    else if (encoding === "xml1") out += code === 38 ? "&amp;" : code === 60 ? "&lt;" : code === 62 ? "&gt;" : code === 34 ? "&quot;" : ch;
    else {
      const name = Object.prototype.hasOwnProperty.call(byCode, code) ? byCode[code] : undefined;
      out += name === undefined ? ch : `&${name};`;
    }
  }
  return out;
}

/** PHP html_entity_decode($s) (ENT_QUOTES): known named entities and numeric references; unknown ones stay literal. */
export function decodeEntities(raw: string, encoding: TextEncoding): string {
  if (!raw.includes("&")) return raw;
  const tables = entityTables();
  const table = encoding === "xml1" ? tables.xml1ByName : tables.html401ByName;
  return raw.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g, (whole, body: string) => {
    let code: number | undefined;
    if (body[0] === "#") code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    else code = Object.prototype.hasOwnProperty.call(table, body) ? table[body] : undefined;
    if (code === undefined || !Number.isFinite(code) || code > 0x10ffff) return whole;
    return String.fromCodePoint(code);
  });
}
