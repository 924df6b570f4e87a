import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  UserError
} from "./chunk-2IM7SQKB.js";

// src/labels.ts
import { randomBytes } from "node:crypto";
var LABEL_PREFIX = "io.github.sglang-image-patcher";
var BASE_NAME_LABEL = "org.opencontainers.image.base.name";
var BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest";
function imageLabels(patchSet, baseRef, contextSha256, provenance, release = patchSet.sglangVersion) {
  const labels = {
    [BASE_NAME_LABEL]: baseRef,
    "org.opencontainers.image.version": `${release}+${patchSet.name}`,
    "org.opencontainers.image.source": provenance.source,
    "org.opencontainers.image.revision": provenance.revision,
    "org.opencontainers.image.created": provenance.created,
    [`${LABEL_PREFIX}.patch-set`]: patchSet.name,
    [`${LABEL_PREFIX}.sglang-version`]: release,
    [`${LABEL_PREFIX}.upstream-commit`]: patchSet.upstream.commit,
    [`${LABEL_PREFIX}.context-sha256`]: contextSha256
  };
  for (const p of patchSet.patches) labels[`${LABEL_PREFIX}.patch.${p.name}.sha256`] = p.sha256;
  return labels;
}
var CI_RUN_ENV = "SGLANG_IMAGE_PATCHER_RUN_LABEL";
var CI_RUN_LABEL = `${LABEL_PREFIX}.ci-run`;
var CI_RUN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
function ciRun(env = process.env) {
  const value = env[CI_RUN_ENV];
  if (value === void 0 || value === "") return void 0;
  if (!CI_RUN_PATTERN.test(value)) throw new UserError(`${CI_RUN_ENV} must be 1 to 64 of A-Z a-z 0-9 _ . - (starting with a letter or digit), got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}
function newRunId(env = process.env) {
  const ci = ciRun(env);
  return `${ci ? `${ci}-` : ""}${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}
function containerLabels(role, runId, env = process.env) {
  const ci = ciRun(env);
  return { [`${LABEL_PREFIX}.role`]: role, [`${LABEL_PREFIX}.run`]: runId, ...ci ? { [CI_RUN_LABEL]: ci } : {} };
}

export {
  LABEL_PREFIX,
  BASE_DIGEST_LABEL,
  imageLabels,
  newRunId,
  containerLabels
};
