import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/labels.ts
var LABEL_PREFIX = "io.github.sglang-image-patcher";
var BASE_NAME_LABEL = "org.opencontainers.image.base.name";
var BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest";
function imageLabels(patchSet, baseRef, contextSha256, provenance) {
  const labels = {
    [BASE_NAME_LABEL]: baseRef,
    "org.opencontainers.image.version": `${patchSet.sglangVersion}+${patchSet.name}`,
    "org.opencontainers.image.source": provenance.source,
    "org.opencontainers.image.revision": provenance.revision,
    "org.opencontainers.image.created": provenance.created,
    [`${LABEL_PREFIX}.patch-set`]: patchSet.name,
    [`${LABEL_PREFIX}.sglang-version`]: patchSet.sglangVersion,
    [`${LABEL_PREFIX}.upstream-commit`]: patchSet.upstream.commit,
    [`${LABEL_PREFIX}.context-sha256`]: contextSha256
  };
  for (const p of patchSet.patches) labels[`${LABEL_PREFIX}.patch.${p.name}.sha256`] = p.sha256;
  return labels;
}
function containerLabels(role, runId) {
  return { [`${LABEL_PREFIX}.role`]: role, [`${LABEL_PREFIX}.run`]: runId };
}

export {
  LABEL_PREFIX,
  BASE_DIGEST_LABEL,
  imageLabels,
  containerLabels
};
