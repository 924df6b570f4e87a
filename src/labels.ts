/**
 * The labels a patched image carries: the OCI ones (base, version, source, revision, created)
 * and ours under LABEL_PREFIX (patch set, each patch's sha256, the context hash), plus the role
 * labels on the containers we start. A leaf module, so every layer (planner, verify step,
 * tests) reads the names from here.
 */
import type { PatchSet } from "./patch-set.js";
import type { Provenance } from "./provenance.js";

export const LABEL_PREFIX = "io.github.sglang-image-patcher";
export const BASE_NAME_LABEL = "org.opencontainers.image.base.name";
export const BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest";

export function imageLabels(patchSet: PatchSet, baseRef: string, contextSha256: string, provenance: Provenance): Record<string, string> {
  const labels: Record<string, string> = {
    [BASE_NAME_LABEL]: baseRef,
    "org.opencontainers.image.version": `${patchSet.sglangVersion}+${patchSet.name}`,
    "org.opencontainers.image.source": provenance.source,
    "org.opencontainers.image.revision": provenance.revision,
    "org.opencontainers.image.created": provenance.created,
    [`${LABEL_PREFIX}.patch-set`]: patchSet.name,
    [`${LABEL_PREFIX}.sglang-version`]: patchSet.sglangVersion,
    [`${LABEL_PREFIX}.upstream-commit`]: patchSet.upstream.commit,
    [`${LABEL_PREFIX}.context-sha256`]: contextSha256,
  };
  for (const p of patchSet.patches) labels[`${LABEL_PREFIX}.patch.${p.name}.sha256`] = p.sha256;
  return labels;
}

/** Labels of a container we start, so leftovers can be found by role and run. */
export function containerLabels(role: string, runId: string): Record<string, string> {
  return { [`${LABEL_PREFIX}.role`]: role, [`${LABEL_PREFIX}.run`]: runId };
}
