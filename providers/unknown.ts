// Pulumi's placeholder for an input that is not known yet (a preview with an upstream output still to be made). It
// reaches check and diff in place of the value (any type, at any depth); create and update never see it.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(hasUnknown);
  return false;
}
