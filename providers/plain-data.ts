// Provider results cross Pulumi's provider host as protobuf Structs: `Struct.fromJavaScript` throws ("Unexpected
// struct type.") on an `undefined` value at any depth, after the host change is already made. Every provider result
// (create/read/update outputs) goes through `plainData`, which drops undefined object fields (an absent optional
// field) and refuses what a Struct cannot hold instead of failing later with no context.
export function plainData<T>(value: T, where = "outputs"): T {
  return strip(value, where) as T;
}

function strip(v: unknown, at: string): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`${at}: ${v} is not a finite number (state holds JSON numbers only)`);
    return v;
  }
  if (Array.isArray(v)) {
    return v.map((x, i) => {
      if (x === undefined) throw new Error(`${at}[${i}]: undefined in a list (state holds no undefined); use null or drop the item`);
      return strip(x, `${at}[${i}]`);
    });
  }
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = strip(x, `${at}.${k}`);
    return out;
  }
  throw new Error(`${at}: a ${typeof v} cannot be stored in Pulumi state`);
}
