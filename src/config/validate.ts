/**
 * A small structural validator for the YAML config: every problem is collected as
 * `path: message` so a user fixes all of them in one go (changesets style). Hand-written
 * because the schema is small and the messages matter more than generality.
 */

export type Problems = string[];

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  // Target names contain dots (v0.5.9-...), so quote keys that would read ambiguously.
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reports keys outside `allowed`; returns the mapping (or undefined after reporting). */
export function mapping(
  value: unknown,
  path: string,
  allowed: readonly string[],
  problems: Problems,
): Record<string, unknown> | undefined {
  if (!isMapping(value)) {
    problems.push(`${path || "(top level)"}: expected a mapping, got ${describe(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      problems.push(`${join(path, key)}: unknown key (allowed: ${allowed.join(", ")})`);
    }
  }
  return value;
}

export function str(
  value: unknown,
  path: string,
  problems: Problems,
  opts: { pattern?: RegExp; what?: string } = {},
): string | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    problems.push(`${path}: expected ${opts.what ?? "a non-empty string"}, got ${describe(value)}`);
    return undefined;
  }
  if (opts.pattern && !opts.pattern.test(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} is not ${opts.what ?? `a string matching ${opts.pattern}`}`);
    return undefined;
  }
  return value;
}

export function bool(value: unknown, path: string, problems: Problems): boolean | undefined {
  if (typeof value !== "boolean") {
    problems.push(`${path}: expected true or false, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function int(
  value: unknown,
  path: string,
  problems: Problems,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${path}: expected an integer from ${min} to ${max}, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, path: string, choices: readonly T[], problems: Problems): T | undefined {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    problems.push(`${path}: expected one of ${choices.join(", ")}, got ${describe(value)}`);
    return undefined;
  }
  return value as T;
}

export function list<T>(
  value: unknown,
  path: string,
  problems: Problems,
  item: (v: unknown, p: string) => T | undefined,
  opts: { nonEmpty?: boolean } = {},
): T[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${path}: expected a list, got ${describe(value)}`);
    return undefined;
  }
  if (opts.nonEmpty && value.length === 0) {
    problems.push(`${path}: must not be empty`);
    return undefined;
  }
  const out: T[] = [];
  value.forEach((v, i) => {
    const r = item(v, join(path, i));
    if (r !== undefined) out.push(r);
  });
  return out.length === value.length ? out : undefined;
}
