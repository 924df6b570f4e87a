/**
 * The labels a patched image carries: the OCI ones (base, version, source, revision, created)
 * and ours under LABEL_PREFIX (patch set, each patch's sha256, the context hash), plus the role
 * labels on the containers we start. A leaf module, so every layer (planner, verify step,
 * tests) reads the names from here.
 */
import { randomBytes } from "node:crypto";
import { UserError } from "./errors.js";
import type { PatchSet } from "./patch-set.js";
import type { Provenance } from "./provenance.js";

export const LABEL_PREFIX = "io.github.sglang-image-patcher";
export const BASE_NAME_LABEL = "org.opencontainers.image.base.name";
export const BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest";

/** `release`: the SGLang release the image is built on (a series may cover several; default its own). */
export function imageLabels(patchSet: PatchSet, baseRef: string, contextSha256: string, provenance: Provenance, release = patchSet.sglangVersion): Record<string, string> {
  const labels: Record<string, string> = {
    [BASE_NAME_LABEL]: baseRef,
    "org.opencontainers.image.version": `${release}+${patchSet.name}`,
    "org.opencontainers.image.source": provenance.source,
    "org.opencontainers.image.revision": provenance.revision,
    "org.opencontainers.image.created": provenance.created,
    [`${LABEL_PREFIX}.patch-set`]: patchSet.name,
    [`${LABEL_PREFIX}.sglang-version`]: release,
    [`${LABEL_PREFIX}.upstream-commit`]: patchSet.upstream.commit,
    [`${LABEL_PREFIX}.context-sha256`]: contextSha256,
  };
  for (const p of patchSet.patches) labels[`${LABEL_PREFIX}.patch.${p.name}.sha256`] = p.sha256;
  return labels;
}

/**
 * A name for a whole CI job, set by the build workflow (`gha-<run id>-<attempt>-<job index>`).
 * A cancelled job is killed 10 s after its first signal, usually before the CLI has removed its
 * verify container; the workflow's cleanup step (scripts/gha-cleanup.sh, `if: always()`) then
 * finds what the job left by this name: every container we start carries it as a label, and the
 * per-run build tag starts with it. Images are NOT labelled with it: a label would change the
 * image id, and the same checkout must build the same image in every run.
 */
export const CI_RUN_ENV = "SGLANG_IMAGE_PATCHER_RUN_LABEL";
export const CI_RUN_LABEL = `${LABEL_PREFIX}.ci-run`;
const CI_RUN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The CI job's name from the environment, or undefined; a value unfit for a tag or label filter is a UserError. */
export function ciRun(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[CI_RUN_ENV];
  if (value === undefined || value === "") return undefined;
  if (!CI_RUN_PATTERN.test(value)) throw new UserError(`${CI_RUN_ENV} must be 1 to 64 of A-Z a-z 0-9 _ . - (starting with a letter or digit), got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

/** A new run id: unique per run, and prefixed by the CI job's name when there is one (the build tag carries it). */
export function newRunId(env: NodeJS.ProcessEnv = process.env): string {
  const ci = ciRun(env);
  return `${ci ? `${ci}-` : ""}${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** Labels of a container we start, so leftovers can be found by role and run (and by CI job). */
export function containerLabels(role: string, runId: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const ci = ciRun(env);
  return { [`${LABEL_PREFIX}.role`]: role, [`${LABEL_PREFIX}.run`]: runId, ...(ci ? { [CI_RUN_LABEL]: ci } : {}) };
}
