import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  GITHUB_ACTIONS_ISSUER,
  identityPattern
} from "./chunk-5XWWRMUY.js";
import {
  VERIFY_MODES
} from "./chunk-4HRXCVB4.js";
import {
  IMAGE_ID,
  IMAGE_REF
} from "./chunk-F7NKY5RN.js";
import {
  UserError,
  errorMessage
} from "./chunk-2IM7SQKB.js";

// src/cli/verify-image-args.ts
import { parseArgs } from "node:util";
var VERIFY_IMAGE_HELP = `Usage: npm run verify-image -- IMAGE [options]
       sglang-image-patcher verify IMAGE [options]

Runs the token-id verify suite inside IMAGE (pulled when absent) in a one-shot container and
prints one JSON result on stdout (the suite's report embedded). Logs go to stderr.

Options:
  --config FILE         build file whose verify settings are used (default: build.yaml)
  --target NAME         target whose verify settings are used (default: the file's first default target)
  --verify-mode MODE    gpu (default; needs the NVIDIA runtime), engineless (no GPU; the harness server) or
                        cpu (the real engine on CPU with a scripted checkpoint in verify.modelMount);
                        neither engineless nor cpu is a GPU verification
  --model M             model id or path inside the container (overrides verify.model)
  --timeout SECONDS     overall limit for the suite (overrides verify.timeoutSeconds)
  --attestation         run nothing: find the attestations build-image attached to IMAGE's digest in its
                        registry (referrers API, else the tag sha256-<hex>) and judge every one: its
                        signature against the trust policy below, its subject, patch sha256s, base digest
                        and revision against the image, its verify result; passes when any one satisfies
                        all of it (as cosign does); check table on stderr. Without --public-key or
                        --certificate-identity the verdict is UNVERIFIED and the exit 1 (fail closed).
                        A multi-arch tag (an image index): every platform's image is judged, all must pass
  --public-key FILE     with --attestation: the signature must verify with this key (PEM, ECDSA P-256)
  --certificate-identity URI
                        with --attestation: the attestation must be signed keyless (Sigstore public-good:
                        Fulcio certificate, Rekor entry) by exactly this identity, for GitHub Actions the
                        workflow: https://github.com/OWNER/REPO/.github/workflows/FILE.yml@refs/heads/main
  --certificate-identity-regexp RE
                        the same, the identity matching RE (anchored: RE must match the whole identity)
  --certificate-oidc-issuer URL
                        the certificate's OIDC issuer (default: ${GITHUB_ACTIONS_ISSUER})
  --insecure-ignore-signature
                        with --attestation and no key or identity: judge the content without checking who
                        signed it (the verdict says so); anyone who can push to the repository can write
                        an attestation that passes this way
  -h, --help            show this help

Exit codes: 0 passed, 1 a check failed, 2 setup/server failed or bad input, 3 Docker daemon
unreachable, 130 cancelled. With --attestation: 0 a trusted, GPU-verified, consistent attestation; 1
none such (unverified: no trust policy; failed, inconsistent, engineless or cpu-only); 2 none found
(or bad input).
`;
function parseVerifyImageArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        target: { type: "string" },
        "verify-mode": { type: "string" },
        model: { type: "string" },
        timeout: { type: "string" },
        attestation: { type: "boolean" },
        "public-key": { type: "string" },
        "certificate-identity": { type: "string" },
        "certificate-identity-regexp": { type: "string" },
        "certificate-oidc-issuer": { type: "string" },
        "insecure-ignore-signature": { type: "boolean" },
        help: { type: "boolean", short: "h" }
      }
    });
  } catch (e) {
    throw new UserError(`${errorMessage(e)}
Run with --help to see the options.`, 2, { cause: e });
  }
  const v = parsed.values;
  const base = { config: v.config ?? "build.yaml", target: v.target, model: v.model, attestation: Boolean(v.attestation), publicKey: v["public-key"], insecureIgnoreSignature: Boolean(v["insecure-ignore-signature"]), help: Boolean(v.help) };
  if (base.publicKey !== void 0 && !base.attestation) throw new UserError("--public-key is for --attestation (it checks the attestation's signature)");
  const keyless = keylessPolicyOf(v["certificate-identity"], v["certificate-identity-regexp"], v["certificate-oidc-issuer"]);
  if (keyless && !base.attestation) throw new UserError("--certificate-identity is for --attestation (it checks the attestation's keyless signature)");
  if (keyless && base.publicKey !== void 0) throw new UserError("give either --public-key (a key-pair signature) or --certificate-identity (a keyless one), not both");
  if (base.insecureIgnoreSignature && !base.attestation) throw new UserError("--insecure-ignore-signature is for --attestation");
  if (base.insecureIgnoreSignature && (keyless || base.publicKey !== void 0)) {
    throw new UserError("--insecure-ignore-signature contradicts --public-key / --certificate-identity: a policy that is given is always checked");
  }
  if (base.help) return base;
  if (parsed.positionals.length !== 1) throw new UserError(`give exactly one IMAGE to verify, got ${parsed.positionals.length} (see --help)`);
  const image = parsed.positionals[0];
  if (!IMAGE_REF.test(image) && !IMAGE_ID.test(image)) throw new UserError(`${JSON.stringify(image)} is not an image reference`);
  const mode = v["verify-mode"];
  if (mode !== void 0 && !VERIFY_MODES.includes(mode)) {
    throw new UserError(`--verify-mode: expected one of ${VERIFY_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
  }
  let timeoutSeconds;
  if (v.timeout !== void 0) {
    timeoutSeconds = /^\d+$/.test(v.timeout) ? Number(v.timeout) : NaN;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new UserError(`--timeout: expected whole seconds, got ${JSON.stringify(v.timeout)}`);
  }
  if (v.model !== void 0 && v.model.trim() === "") throw new UserError("--model: expected a model id or path, got an empty string");
  return { ...base, image, verifyMode: mode, timeoutSeconds, ...keyless ? { keyless } : {} };
}
function keylessPolicyOf(identity, regexp, issuer) {
  if (identity === void 0 && regexp === void 0) {
    if (issuer !== void 0) throw new UserError("--certificate-oidc-issuer needs --certificate-identity or --certificate-identity-regexp (the issuer alone says nothing about who signed)");
    return void 0;
  }
  if (identity !== void 0 && regexp !== void 0) throw new UserError("give --certificate-identity or --certificate-identity-regexp, not both");
  if (identity !== void 0 && identity.trim() === "") throw new UserError("--certificate-identity: expected the signer's identity (a URI), got an empty string");
  if (regexp !== void 0) {
    if (regexp.trim() === "") throw new UserError("--certificate-identity-regexp: expected a regular expression, got an empty string");
    try {
      identityPattern(regexp);
    } catch (e) {
      throw new UserError(`--certificate-identity-regexp: ${errorMessage(e)}`, 2, { cause: e });
    }
  }
  if (issuer !== void 0 && !/^https:\/\/\S+$/.test(issuer)) throw new UserError(`--certificate-oidc-issuer: expected an https URL, got ${JSON.stringify(issuer)}`);
  return { ...identity !== void 0 ? { identity } : { identityRegexp: regexp }, issuer: issuer ?? GITHUB_ACTIONS_ISSUER };
}

export {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
};
