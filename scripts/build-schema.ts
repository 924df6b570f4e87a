/**
 * `npm run schema`: writes docs/build.schema.json, the JSON Schema of build.yaml that editors
 * pick up (build.yaml's first line: `# yaml-language-server: $schema=docs/build.schema.json`).
 *
 * Generated from the loader's own key lists and patterns (src/config/schema.ts, src/image-ref.ts),
 * so a key the loader accepts is a key the schema knows: each key list must be covered exactly by
 * the property table below (a key added there without an entry here stops the generator), and
 * test/unit/build-schema.test.ts fails while the checked-in file differs from what this gives.
 * The schema says what each key may hold (types, enums, patterns, ranges); the loader remains the
 * judge of what the schema cannot say (a target's release exists, an index's targets differ in
 * platform, a required key given in defaults or the release instead, ...).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  ABS_PATH, DEFAULT_VERIFY, DEFAULTS_KEYS, ENV_NAME, MOUNT_KEYS, PLATFORM, RELEASE_KEYS, TARGET_KEYS, TOP_KEYS, VERIFY_KEYS,
  VERIFY_MODES, VERSION,
} from "../src/config/schema.js";
import { DIGEST, IMAGE_REF, REPOSITORY, TAG } from "../src/image-ref.js";

export const SCHEMA_FILE = "docs/build.schema.json";

type Json = { [key: string]: unknown };

const ref = (name: string): Json => ({ $ref: `#/definitions/${name}` });
const pattern = (re: RegExp): string => {
  if (re.flags) throw new Error(`${re}: a JSON Schema pattern has no flags`);
  return re.source;
};
/** The loader's `str`: a string that is not blank. */
const text = (description: string): Json => ({ type: "string", pattern: "\\S", description });
const matching = (re: RegExp, description: string): Json => ({ type: "string", pattern: pattern(re), description });
const strings = (item: Json, description: string, nonEmpty = false): Json => ({
  type: "array", items: item, ...(nonEmpty ? { minItems: 1 } : {}), description,
});
const integer = (minimum: number, maximum: number, description: string): Json => ({ type: "integer", minimum, maximum, description });

/** One object definition: its properties, in the order of the loader's key list, which they must cover exactly. */
function object(keys: readonly string[], table: Record<string, Json>, description: string, required: string[] = []): Json {
  const missing = keys.filter((k) => !(k in table));
  if (missing.length) throw new Error(`build-schema: no schema for ${missing.join(", ")} (add them to scripts/build-schema.ts)`);
  return {
    type: "object",
    description,
    properties: Object.fromEntries(keys.map((k) => [k, table[k]])),
    additionalProperties: false,
    ...(required.length ? { required } : {}),
  };
}

const MOUNT: Record<string, Json> = {
  source: text("Host path (~ is the home folder; relative to the build file's folder)."),
  target: matching(ABS_PATH, "Absolute path inside the container."),
  readOnly: { type: "boolean", description: "Default true; a writable modelMount is created when missing (it is a cache)." },
};

const VERIFY: Record<string, Json> = {
  mode: { type: "string", enum: [...VERIFY_MODES], description: `gpu (the real engine on the GPUs; the only mode that counts as verified), engineless (the harness) or cpu (the real engine on the CPU). Default ${DEFAULT_VERIFY.mode}.` },
  model: text(`Hugging Face id or a path inside the container. Default ${DEFAULT_VERIFY.model}.`),
  modelMount: ref("mount"),
  mounts: { type: "array", items: ref("mount"), description: "More bind mounts into the verify container." },
  env: {
    type: "object", propertyNames: { pattern: pattern(ENV_NAME) }, additionalProperties: { type: "string" },
    description: "Extra environment (settings, not secrets: use envFrom); values are shown as (hidden).",
  },
  envFrom: strings(matching(ENV_NAME, "An environment variable name."), "Host environment variables passed in at run time (e.g. HF_TOKEN); never printed."),
  pythonPath: strings(matching(ABS_PATH, "An absolute path inside the container."), "Extra folders inside the container on PYTHONPATH."),
  toolCallParser: text("Passed to the server as --tool-call-parser; unset: the suite picks the model's."),
  reasoningParser: text("Passed to the server as --reasoning-parser."),
  timeoutSeconds: integer(1, 86_400, `The whole verify container. Default ${DEFAULT_VERIFY.timeoutSeconds}.`),
  startupTimeoutSeconds: integer(1, 86_400, `Until /health_generate answers. Default ${DEFAULT_VERIFY.startupTimeoutSeconds}.`),
  gpus: { anyOf: [{ const: "all" }, { type: "integer", minimum: 1, maximum: 64 }], description: `all, or a count. Default ${DEFAULT_VERIFY.gpus}.` },
  harness: text(`Host folder with sglang_engineless (engineless mode). Default ${DEFAULT_VERIFY.harness}.`),
  extraArgs: strings({ type: "string", pattern: "\\S" }, "Appended to the verify suite's command line (server flags: [--server-arg, --mem-fraction-static=0.5])."),
};

const TARGET: Record<string, Json> = {
  release: matching(VERSION, "The release (a key of releases) whose patch set and SGLang version the target builds; quote it."),
  base: matching(IMAGE_REF, "The base image, e.g. lmsysorg/sglang:v0.5.9-cu129-amd64."),
  baseDigest: {
    anyOf: [{ const: "unknown" }, { type: "string", pattern: pattern(DIGEST) }],
    description: "This platform's manifest digest of the base (sha256:<64 hex>), or unknown until npm run bases:update reads it.",
  },
  platform: matching(PLATFORM, "linux/amd64 or linux/arm64."),
  patchSet: text("Folder holding patchset.yaml and the NNNN-*.patch files."),
  sglangVersion: matching(VERSION, "The SGLang version of the base; one its patch set lists (a release sets it)."),
  image: matching(REPOSITORY, "The repository the tags go under (lowercase, no tag), e.g. ghcr.io/owner/sglang-tokenids."),
  tags: strings(matching(TAG, "A tag."), "The tags pushed.", true),
  push: { type: "boolean", description: "Push after a passed verify (default true; --push / --no-push override)." },
  attest: { type: "boolean", description: "Attach the verify attestation to the pushed digests (default false; --attest)." },
  verify: ref("verify"),
};

const pick = (keys: readonly string[]): Record<string, Json> => Object.fromEntries(keys.map((k) => [k, TARGET[k]!]));

const TOP: Record<string, Json> = {
  version: { const: 1, description: "The file format; only 1." },
  source: text("org.opencontainers.image.source (userinfo, query and fragment are dropped); default: the git remote."),
  defaults: ref("defaults"),
  defaultTargets: strings({ type: "string", pattern: "\\S" }, "Built when no --target is given; default: the first target.", true),
  releases: {
    type: "object", propertyNames: { pattern: pattern(VERSION) }, additionalProperties: ref("release"),
    description: "One per SGLang release; the key is its version, quoted.",
  },
  targets: {
    type: "object", propertyNames: { pattern: pattern(TAG) }, additionalProperties: ref("target"), minProperties: 1,
    description: "One per image; a target's name is tag-like.",
  },
  indexes: {
    type: "object", propertyNames: { pattern: pattern(TAG) },
    additionalProperties: strings({ type: "string", pattern: "\\S" }, "The targets (one per platform) the index joins.", true),
    description: "One OCI image index per tag: the targets it joins.",
  },
};

export function buildSchema(): Json {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://github.com/sglang-image-patcher/sglang-image-patcher/docs/build.schema.json",
    title: "sglang-image-patcher build file (build.yaml)",
    ...object(TOP_KEYS, TOP, "Generated by `npm run schema` (scripts/build-schema.ts) from src/config/schema.ts; do not edit. Reference: docs/configuration.md.", ["targets"]),
    definitions: {
      defaults: object(DEFAULTS_KEYS, pick(DEFAULTS_KEYS), "Merged under every target (verify key by key)."),
      release: object(RELEASE_KEYS, pick(RELEASE_KEYS), "What a release's targets share.", ["patchSet"]),
      target: object(TARGET_KEYS, TARGET, "One image: a base, a release (or patch set), an image and tags."),
      verify: object(VERIFY_KEYS, VERIFY, "Verify settings (target over release over defaults, key by key)."),
      mount: object(MOUNT_KEYS, MOUNT, "A bind mount.", ["source", "target"]),
    },
  };
}

export function schemaText(): string {
  return `${JSON.stringify(buildSchema(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  writeFileSync(path.join(root, SCHEMA_FILE), schemaText());
  process.stderr.write(`wrote ${SCHEMA_FILE}\n`);
}
