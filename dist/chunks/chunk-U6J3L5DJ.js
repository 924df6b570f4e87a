import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_MODES
} from "./chunk-4HRXCVB4.js";
import {
  UserError,
  errorMessage
} from "./chunk-2IM7SQKB.js";

// src/cli/build-image-args.ts
import { parseArgs } from "node:util";
var BUILD_IMAGE_HELP = `Usage: npm run build-image -- [options]
       sglang-image-patcher build [options]

Builds a patched SGLang image per target of the build file (targets are per SGLang release
and image variant, e.g. v0.5.23-cu130-amd64; each release has its own patch set): resolves the base image (pulls it
when absent), packs the build context, builds, verifies the image by running the token-id
verify suite inside it, tags it and pushes it. stdout carries exactly one JSON result; logs and
progress go to stderr.

Options:
  --config FILE        build file (default: build.yaml)
  --target NAME        target to build; repeatable (default: the file's defaultTargets)
  --release VERSION    build every target of this SGLang release (e.g. 0.5.23); repeatable, adds to
                       --target's
  --all                build every target of every release
  --base IMAGE         use this base image instead of the target's base (any ref, e.g. repo:tag@sha256:...)
  --tag REF            tag to apply instead of the target's tags; a bare tag (v1) goes under the
                       target's image, a full reference (registry/repo:tag) stands alone; repeatable
  --push               push after a successful verify (overrides the target's push setting)
  --no-push            build, verify and tag locally only
  --force              push even where a tag already names other content on the registry (moves it);
                       without it such a push is refused (exit 2) before anything is sent. The
                       workflow never passes it
  --skip-verify        do not run the verify suite; the image is then NOT pushed unless
                       --push-unverified is also given
  --push-unverified    allow pushing an image that was not verified on a GPU (with --skip-verify
                       or a non-gpu verify mode)
  --verify-mode MODE   override verify.mode: gpu (default; needs the NVIDIA runtime), engineless
                       (no GPU; the harness server; never counts as verified) or cpu (the real
                       engine on CPU serving a scripted checkpoint from verify.modelMount;
                       marked cpu-verified, never counts as verified)
  --no-cache           build without the Docker build cache
  --attest             attach the verify attestation (in-toto Statement) to every pushed digest as an
                       OCI artifact, plus the referrers tag sha256-<hex> for registries without the
                       referrers API (overrides the target's attest setting; --no-attest: do not)
  --sign-key FILE      sign the attestation with this key (cosign's encrypted key, or a PEM ECDSA P-256
                       key); its password from SGLANG_IMAGE_PATCHER_SIGN_PASSWORD (else COSIGN_PASSWORD)
  --attestation-dir DIR  where the statement (and signed bundle) files go after a push (default: out/attestations)
  --dry-run            print the plan as the JSON result without contacting the Docker daemon: one
                       plan per selected target (the same selection as without --dry-run, so
                       by default the defaultTargets only; --all plans every release's targets,
                       --release VERSION one release's), plus "releases", every release of the
                       file with its patch set and targets
  -h, --help           show this help

Registry credentials, per registry: SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME/_PASSWORD, else
DOCKER_AUTH_CONFIG, else the Docker config file ($DOCKER_CONFIG/config.json or
~/.docker/config.json), whose credential helper, when one is configured, is used alone, as by
the docker CLI. DOCKER_HOST selects the daemon.

Exit codes: 0 success, 1 a step failed (build, verify check, push), 2 bad input or setup
(config, patch set, base image, verify setup), 3 Docker daemon unreachable, 130 cancelled.
`;
function parseBuildImageArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        target: { type: "string", multiple: true },
        release: { type: "string", multiple: true },
        all: { type: "boolean" },
        base: { type: "string" },
        tag: { type: "string", multiple: true },
        push: { type: "boolean" },
        "no-push": { type: "boolean" },
        force: { type: "boolean" },
        "skip-verify": { type: "boolean" },
        "push-unverified": { type: "boolean" },
        "verify-mode": { type: "string" },
        "dry-run": { type: "boolean" },
        "no-cache": { type: "boolean" },
        attest: { type: "boolean" },
        "no-attest": { type: "boolean" },
        "sign-key": { type: "string" },
        "attestation-dir": { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    });
  } catch (e) {
    throw new UserError(`${errorMessage(e)}
Run with --help to see the options.`, 2, { cause: e });
  }
  const v = parsed.values;
  if (v.push && v["no-push"]) throw new UserError("--push and --no-push contradict each other");
  if (v.attest && v["no-attest"]) throw new UserError("--attest and --no-attest contradict each other");
  if (v["sign-key"] !== void 0 && v["sign-key"].trim() === "") throw new UserError("--sign-key: expected a key file, got an empty string");
  let verifyMode;
  if (v["verify-mode"] !== void 0) {
    if (!VERIFY_MODES.includes(v["verify-mode"])) {
      throw new UserError(`--verify-mode: expected one of ${VERIFY_MODES.join(", ")}, got ${JSON.stringify(v["verify-mode"])}`);
    }
    verifyMode = v["verify-mode"];
  }
  return {
    config: v.config ?? "build.yaml",
    targets: v.target ?? [],
    releases: v.release ?? [],
    all: Boolean(v.all),
    base: v.base,
    tags: v.tag ?? [],
    push: v.push ? true : v["no-push"] ? false : void 0,
    skipVerify: Boolean(v["skip-verify"]),
    pushUnverified: Boolean(v["push-unverified"]),
    verifyMode,
    dryRun: Boolean(v["dry-run"]),
    noCache: Boolean(v["no-cache"]),
    attest: v.attest ? true : v["no-attest"] ? false : void 0,
    signKey: v["sign-key"],
    force: Boolean(v.force),
    attestationDir: v["attestation-dir"] ?? "out/attestations",
    help: Boolean(v.help)
  };
}

export {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
};
