// Reads raw (untyped) configuration objects field by field, collecting every problem instead of stopping at the first.
// Unknown keys are problems too (typos would otherwise be silently ignored), with a did-you-mean suggestion.
import type { Problem } from "./problems";
import { asInteger, problem } from "./rules";
import { closest } from "./suggest";

export type RawObject = Record<string, unknown>;

/** Shown instead of any value that may be secret. */
export const REDACTED = "[secret]";

export function isPlainObject(value: unknown): value is RawObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A `secure:` value as Pulumi writes encrypted config into Pulumi.<stack>.yaml. */
export function isSecureValue(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/** What a non-object value is, in the words of a YAML file: "a list", "a string", "a number", "true/false". */
export function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "boolean") return "true/false";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  return typeof value;
}

export class Reader {
  readonly problems: Problem[] = [];
  /** Accepted but deprecated forms: reported, never fatal. */
  readonly warnings: Problem[] = [];

  warn(key: string, value: unknown, message: string, fix: string): void {
    this.warnings.push(problem(key, value, message, fix));
  }

  add(key: string, value: unknown, message: string, fix: string): void {
    this.problems.push(problem(key, value, message, fix));
  }

  addAll(ps: Problem[]): boolean {
    this.problems.push(...ps);
    return ps.length === 0;
  }

  /**
   * The object at `key`, with unknown keys reported. `undefined` when absent (reported if required) or not an object.
   */
  object(key: string, value: unknown, known: readonly string[], required: boolean, example: string): RawObject | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(key, undefined, "is required", `add ${key} as an object, e.g. ${example}`);
      return undefined;
    }
    if (!isPlainObject(value)) {
      this.add(key, typeof value === "string" ? value : kindOf(value), `must be an object (got ${kindOf(value)})`, `write ${key} as a YAML mapping, e.g. ${example}`);
      return undefined;
    }
    this.unknownKeys(key, value, known);
    return value;
  }

  /** Reports keys of `value` not in `known`; `separator` is ":" for stack-level keys ("pfsense-ha:carpPassword"). */
  unknownKeys(key: string, value: RawObject, known: readonly string[], separator = "."): void {
    for (const k of Object.keys(value)) {
      if (known.includes(k)) continue;
      const guess = closest(k, known);
      // The value is not shown: a mistyped key may hold a secret.
      this.add(
        `${key}${separator}${k}`,
        k,
        "is not a known configuration key",
        guess ? `did you mean "${guess}"? (known keys: ${known.join(", ")})` : `remove it; known keys here are: ${known.join(", ")}`,
      );
    }
  }

  /** A required or optional non-empty string. */
  string(key: string, value: unknown, required: boolean, example: string): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(key, undefined, "is required", `set ${key}, e.g. ${example}`);
      return undefined;
    }
    if (typeof value !== "string" || value.trim() === "") {
      this.add(key, value, "must be a non-empty string", `set ${key} to a string, e.g. ${example}`);
      return undefined;
    }
    return value;
  }

  boolean(key: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.add(key, value, "must be true or false", `set ${key} to true or false (unquoted)`);
    return fallback;
  }

  /** An integer checked by `rule`; `fallback` when absent (undefined fallback = required). */
  integer(key: string, value: unknown, rule: (k: string, v: unknown) => Problem[], fallback?: number): number | undefined {
    if (value === undefined || value === null) {
      if (fallback === undefined) {
        const ps = rule(key, undefined);
        this.add(key, undefined, "is required", ps[0]?.fix ?? `set ${key}`);
      }
      return fallback;
    }
    return this.addAll(rule(key, value)) ? asInteger(value) : undefined;
  }

  /** A string checked by `rule` (ipv4, cidr, interface name, …). */
  checked(key: string, value: unknown, rule: (k: string, v: unknown) => Problem[], required: boolean, example: string): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(key, undefined, "is required", `set ${key}, e.g. ${example}`);
      return undefined;
    }
    return this.addAll(rule(key, value)) ? (value as string) : undefined;
  }

  oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined || value === null) return fallback;
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.add(key, value, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, `set ${key} to one of: ${allowed.join(", ")}`);
    return fallback;
  }
}
