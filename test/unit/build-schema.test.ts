/**
 * docs/build.schema.json, the JSON Schema editors use for build.yaml (its first line names it):
 * the checked-in file is what `npm run schema` (scripts/build-schema.ts) generates from the
 * loader's key lists now, and the schema agrees with the loader on files it accepts and on a few
 * it rejects. The validator below covers exactly the draft-07 subset the generator writes
 * (nothing else is allowed in the schema, so a keyword it does not know fails the test).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildSchema, SCHEMA_FILE, schemaText } from "../../scripts/build-schema.js";
import { parseConfigText } from "../../src/config/load.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  "$schema", "$id", "title", "description", "definitions", "$ref", "type", "properties", "additionalProperties", "required",
  "propertyNames", "minProperties", "items", "minItems", "pattern", "enum", "const", "minimum", "maximum", "anyOf",
]);

/** Every violation as `path: keyword`, empty when `value` satisfies `schema`. */
function validate(root: Schema, schema: Schema, value: unknown, at = "$"): string[] {
  const unknownKeyword = Object.keys(schema).find((k) => !KNOWN.has(k));
  if (unknownKeyword) throw new Error(`the test validator does not know ${unknownKeyword} (at ${at})`);
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/definitions/", "");
    const target = (root.definitions as Record<string, Schema>)[name];
    if (!target) throw new Error(`dangling $ref ${schema.$ref}`);
    return validate(root, target, value, at);
  }
  const out: string[] = [];
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  if (schema.type !== undefined) {
    const ok = {
      object: isObject,
      array: Array.isArray(value),
      string: typeof value === "string",
      boolean: typeof value === "boolean",
      integer: typeof value === "number" && Number.isInteger(value),
    }[schema.type as string];
    if (ok === undefined) throw new Error(`type ${String(schema.type)}`);
    if (!ok) return [`${at}: type ${String(schema.type)}`];
  }
  if ("const" in schema && value !== schema.const) out.push(`${at}: const`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push(`${at}: enum`);
  if (typeof value === "string" && typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) out.push(`${at}: pattern`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) out.push(`${at}: minimum`);
    if (typeof schema.maximum === "number" && value > schema.maximum) out.push(`${at}: maximum`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) out.push(`${at}: minItems`);
    if (schema.items) value.forEach((v, i) => out.push(...validate(root, schema.items as Schema, v, `${at}[${i}]`)));
  }
  if (isObject) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const k of (schema.required ?? []) as string[]) if (!(k in obj)) out.push(`${at}.${k}: required`);
    if (typeof schema.minProperties === "number" && Object.keys(obj).length < schema.minProperties) out.push(`${at}: minProperties`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) out.push(...validate(root, schema.propertyNames as Schema, k, `${at}.${k} (name)`));
      if (k in props) out.push(...validate(root, props[k]!, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${at}.${k}: additionalProperties`);
      else if (typeof schema.additionalProperties === "object") out.push(...validate(root, schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => validate(root, s as Schema, value, at).length === 0)) out.push(`${at}: anyOf`);
  return out;
}

const schema = JSON.parse(readFileSync(path.join(ROOT, SCHEMA_FILE), "utf8")) as Schema;
const check = (yaml: string) => validate(schema, schema, parse(yaml));
const loaderAccepts = (yaml: string) => {
  parseConfigText(yaml, "build.yaml", "/tmp");
  return true;
};

const VALID = `
version: 1
source: https://github.com/o/r
defaultTargets: [v0.5.9-cu129-amd64]
defaults:
  image: registry.example.com/team/sglang
  push: false
  verify:
    mode: engineless
    modelMount: { source: ~/.cache/huggingface, target: /root/.cache/huggingface, readOnly: false }
    mounts: [{ source: /srv/models, target: /models }]
    env: { HF_HUB_OFFLINE: "1" }
    envFrom: [HF_TOKEN]
    pythonPath: [/opt/extra]
    gpus: 2
    extraArgs: [--server-arg, --mem-fraction-static=0.5]
releases:
  "0.5.9":
    patchSet: patches/sglang-v0.5.9
    attest: true
targets:
  v0.5.9-cu129-amd64:
    release: "0.5.9"
    base: lmsysorg/sglang:v0.5.9-cu129-amd64
    baseDigest: unknown
    platform: linux/amd64
    tags: [v0.5.9-cu129-amd64]
  v0.5.9-cu129-arm64:
    release: "0.5.9"
    base: lmsysorg/sglang:v0.5.9-cu129-arm64
    baseDigest: sha256:${"a".repeat(64)}
    platform: linux/arm64
    tags: [v0.5.9-cu129-arm64]
    verify: { gpus: all, timeoutSeconds: 60 }
indexes:
  v0.5.9-cu129: [v0.5.9-cu129-amd64, v0.5.9-cu129-arm64]
`;

describe("docs/build.schema.json", () => {
  it("is what npm run schema generates from src/config/schema.ts now", () => {
    expect(readFileSync(path.join(ROOT, SCHEMA_FILE), "utf8"), "stale: run npm run schema").toBe(schemaText());
    expect(schema).toEqual(buildSchema());
  });

  it("build.yaml names it on its first line, for yaml-language-server", () => {
    const first = readFileSync(path.join(ROOT, "build.yaml"), "utf8").split("\n")[0];
    expect(first).toBe("# yaml-language-server: $schema=./docs/build.schema.json");
  });

  it.each([
    ["build.yaml", readFileSync(path.join(ROOT, "build.yaml"), "utf8")],
    ["test/unit/fixtures/no-source.yaml", readFileSync(path.join(ROOT, "test/unit/fixtures/no-source.yaml"), "utf8")],
    ["every kind of key", VALID],
  ])("a file the loader accepts satisfies it: %s", (_name, yaml) => {
    expect(loaderAccepts(yaml)).toBe(true);
    expect(check(yaml)).toEqual([]);
  });

  it.each([
    ["an unknown top-level key", `${VALID}colour: blue\n`, "$.colour: additionalProperties"],
    ["an unknown target key", VALID.replace("    baseDigest: unknown", "    tgas: [x]"), "$.targets.v0.5.9-cu129-amd64.tgas: additionalProperties"],
    ["an unknown verify key", VALID.replace("    gpus: 2", "    gpu: 2"), "$.defaults.verify.gpu: additionalProperties"],
    ["push not a boolean", VALID.replace("  push: false", "  push: yes please"), "$.defaults.push: type boolean"],
    ["a timeout that is a string", VALID.replace("timeoutSeconds: 60", "timeoutSeconds: soon"), "$.targets.v0.5.9-cu129-arm64.verify.timeoutSeconds: type integer"],
    ["a timeout out of range", VALID.replace("timeoutSeconds: 60", "timeoutSeconds: -5"), "$.targets.v0.5.9-cu129-arm64.verify.timeoutSeconds: minimum"],
    ["a verify mode it does not have", VALID.replace("mode: engineless", "mode: tpu"), "$.defaults.verify.mode: enum"],
    ["a platform it does not build", VALID.replace("platform: linux/amd64", "platform: linux/s390x"), "$.targets.v0.5.9-cu129-amd64.platform: pattern"],
    ["a bad digest", VALID.replace("baseDigest: unknown", "baseDigest: sha256:abc"), "$.targets.v0.5.9-cu129-amd64.baseDigest: anyOf"],
    ["an uppercase repository", VALID.replace("registry.example.com/team/sglang", "Registry/Team"), "$.defaults.image: pattern"],
    ["empty tags", VALID.replace("tags: [v0.5.9-cu129-amd64]", "tags: []"), "$.targets.v0.5.9-cu129-amd64.tags: minItems"],
    ["a release without its patch set", VALID.replace("    patchSet: patches/sglang-v0.5.9\n", ""), "$.releases.0.5.9.patchSet: required"],
    ["version 2", VALID.replace("version: 1", "version: 2"), "$.version: const"],
    ["a mount without a target", VALID.replace("{ source: /srv/models, target: /models }", "{ source: /srv/models }"), "$.defaults.verify.mounts[0].target: required"],
  ])("a file the loader rejects violates it: %s", (_name, yaml, violation) => {
    expect(() => loaderAccepts(yaml)).toThrow();
    expect(check(yaml)).toContain(violation);
  });
});
