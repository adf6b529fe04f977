// Parse `ovs-vsctl --format=json list|find` output (RFC 7047 cell notation) into typed rows.

export type OvsValue = string | number | boolean | OvsValue[] | { [key: string]: string };

interface RawTable {
  headings: string[];
  data: unknown[][];
}

function decodeAtom(cell: unknown): string | number | boolean {
  if (Array.isArray(cell) && (cell[0] === "uuid" || cell[0] === "named-uuid") && typeof cell[1] === "string") return cell[1];
  if (typeof cell === "string" || typeof cell === "number" || typeof cell === "boolean") return cell;
  throw new Error(`unexpected OVSDB atom in ovs-vsctl JSON output: ${JSON.stringify(cell)}`);
}

/** One cell: atoms stay atoms, sets become arrays, maps become string records. */
export function decodeCell(cell: unknown): OvsValue {
  if (Array.isArray(cell) && cell[0] === "set" && Array.isArray(cell[1])) return (cell[1] as unknown[]).map(decodeAtom);
  if (Array.isArray(cell) && cell[0] === "map" && Array.isArray(cell[1])) {
    const out: { [key: string]: string } = {};
    for (const pair of cell[1] as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`bad OVSDB map entry: ${JSON.stringify(pair)}`);
      out[String(decodeAtom(pair[0]))] = String(decodeAtom(pair[1]));
    }
    return out;
  }
  return decodeAtom(cell);
}

/** Rows keyed by column heading. */
export function parseTable(text: string): Record<string, OvsValue>[] {
  let raw: RawTable;
  try {
    raw = JSON.parse(text) as RawTable;
  } catch {
    throw new Error(`ovs-vsctl did not print JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!raw || !Array.isArray(raw.headings) || !Array.isArray(raw.data)) {
    throw new Error(`ovs-vsctl JSON lacks headings/data: ${JSON.stringify(text.slice(0, 200))}`);
  }
  return raw.data.map((row) => {
    const rec: Record<string, OvsValue> = {};
    raw.headings.forEach((h, i) => (rec[h] = decodeCell(row[i])));
    return rec;
  });
}

/** A one-element set is printed as the bare atom: normalise set columns to arrays. */
export function asList(v: OvsValue | undefined): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "object") throw new Error("expected an OVSDB set, got a map");
  return [String(v)];
}

export function asMap(v: OvsValue | undefined): Record<string, string> {
  if (v === undefined || Array.isArray(v)) return {}; // empty map may print as an empty set
  if (typeof v === "object") return v;
  throw new Error(`expected an OVSDB map, got ${JSON.stringify(v)}`);
}

/** Optional scalar (min 0, max 1): empty set -> undefined. */
export function asOptional(v: OvsValue | undefined): string | number | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length ? (v[0] as string | number) : undefined;
  if (typeof v === "object") throw new Error("expected an OVSDB scalar, got a map");
  return v as string | number;
}

export interface BridgeRow {
  uuid: string;
  name: string;
  ports: string[];
  externalIds: Record<string, string>;
  datapathType: string;
}
export interface PortRow {
  uuid: string;
  name: string;
  interfaces: string[];
  externalIds: Record<string, string>;
  /** Port:protected: a protected port never forwards to another protected port (our split horizon). */
  protected: boolean;
}
export interface InterfaceRow {
  uuid: string;
  name: string;
  type: string;
  options: Record<string, string>;
  ofport?: number;
  error?: string;
  externalIds: Record<string, string>;
  bfd: Record<string, string>;
  mtuRequest?: number;
}

export const BRIDGE_COLUMNS = "_uuid,name,ports,external_ids,datapath_type";
export const PORT_COLUMNS = "_uuid,name,interfaces,external_ids,protected";
export const INTERFACE_COLUMNS = "_uuid,name,type,options,ofport,error,external_ids,bfd,mtu_request";

export function parseBridges(text: string): BridgeRow[] {
  return parseTable(text).map((r) => ({
    uuid: String(r._uuid),
    name: String(r.name),
    ports: asList(r.ports),
    externalIds: asMap(r.external_ids),
    datapathType: String(asOptional(r.datapath_type) ?? ""),
  }));
}

export function parsePorts(text: string): PortRow[] {
  return parseTable(text).map((r) => ({
    uuid: String(r._uuid),
    name: String(r.name),
    interfaces: asList(r.interfaces),
    externalIds: asMap(r.external_ids),
    protected: r.protected === true,
  }));
}

export function parseInterfaces(text: string): InterfaceRow[] {
  return parseTable(text).map((r) => {
    const ofport = asOptional(r.ofport);
    const error = asOptional(r.error);
    const mtu = asOptional(r.mtu_request);
    return {
      uuid: String(r._uuid),
      name: String(r.name),
      type: String(r.type ?? ""),
      options: asMap(r.options),
      ofport: ofport === undefined ? undefined : Number(ofport),
      error: error === undefined || error === "" ? undefined : String(error),
      externalIds: asMap(r.external_ids),
      bfd: asMap(r.bfd),
      mtuRequest: mtu === undefined ? undefined : Number(mtu),
    };
  });
}
