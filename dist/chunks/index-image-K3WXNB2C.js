import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  parseVerifyImageArgs
} from "./chunk-GUYWX2KO.js";
import "./chunk-5XWWRMUY.js";
import {
  makeIndex
} from "./chunk-XKH5DWIL.js";
import {
  readProvenance
} from "./chunk-H2LRGXZ3.js";
import {
  readSigningKeyFile
} from "./chunk-GQLXCPT5.js";
import {
  REPO_ROOT
} from "./chunk-HFOA7Y4D.js";
import {
  createLogger,
  loadConfig
} from "./chunk-UOAZVG7U.js";
import {
  printResult,
  reportError
} from "./chunk-G4VJ447Q.js";
import "./chunk-4HRXCVB4.js";
import "./chunk-LRJ6VPQL.js";
import "./chunk-2O236P5S.js";
import "./chunk-LHFICXII.js";
import "./chunk-CAIBC3BL.js";
import {
  REPOSITORY
} from "./chunk-F7NKY5RN.js";
import {
  UserError,
  errorMessage,
  exitCodeFor
} from "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";

// src/cli/index-image.ts
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
var INDEX_HELP = `Usage: sglang-image-patcher index [options]

Makes the multi-arch OCI image index of each lane (build.yaml \`indexes:\`, e.g. v0.5.23-cu130)
from the per-arch images in the registry (IMAGE:<target's first tag>), and attests it (one
statement whose subjects are the index and every platform manifest). Each per-arch image must
carry a verify attestation that passes the trust policy and says GPU-verified, or nothing is
written. The per-arch tags stay. One JSON result on stdout; logs on stderr.

Options:
  --config FILE          build file (default: build.yaml)
  --index TAG            index to make; repeatable (default: every index of the file)
  --release VERSION      every index whose targets belong to this release; repeatable
  --image REPO           repository of the per-arch images and the index (default: the targets' image)
  --public-key FILE      trust policy: the members' attestations must verify with this key
  --certificate-identity URI / --certificate-identity-regexp RE / --certificate-oidc-issuer URL
                         trust policy: keyless, signed by this identity (as verify-image --attestation)
  --insecure-ignore-signature
                         judge the members' attestations without checking who signed them
  --sign-key FILE        sign the index attestation (password from SGLANG_IMAGE_PATCHER_SIGN_PASSWORD)
  --no-attach            write the index statement to --attestation-dir only, do not attach it
  --attestation-dir DIR  where the index statement goes (default: out/attestations)
  --force                move an index tag that names other content (the workflow never passes it)
  -h, --help             show this help

Exit codes: 0 every selected index made, 1 a member did not pass or a write failed, 2 bad input.
`;
function parseIndexArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        config: { type: "string" },
        index: { type: "string", multiple: true },
        release: { type: "string", multiple: true },
        image: { type: "string" },
        "public-key": { type: "string" },
        "certificate-identity": { type: "string" },
        "certificate-identity-regexp": { type: "string" },
        "certificate-oidc-issuer": { type: "string" },
        "insecure-ignore-signature": { type: "boolean" },
        "sign-key": { type: "string" },
        "no-attach": { type: "boolean" },
        "attestation-dir": { type: "string" },
        force: { type: "boolean" },
        help: { type: "boolean", short: "h" }
      }
    });
  } catch (e) {
    throw new UserError(`${errorMessage(e)}
Run with --help to see the options.`, 2, { cause: e });
  }
  const v = parsed.values;
  if (v.image !== void 0 && !REPOSITORY.test(v.image)) throw new UserError(`--image ${JSON.stringify(v.image)}: not a repository name`);
  const policyArgs = [];
  for (const k of ["public-key", "certificate-identity", "certificate-identity-regexp", "certificate-oidc-issuer"]) if (v[k] !== void 0) policyArgs.push(`--${k}`, v[k]);
  if (v["insecure-ignore-signature"]) policyArgs.push("--insecure-ignore-signature");
  return {
    config: v.config ?? "build.yaml",
    indexes: v.index ?? [],
    releases: v.release ?? [],
    ...v.image ? { image: v.image } : {},
    policyArgs,
    ...v["sign-key"] ? { signKey: v["sign-key"] } : {},
    attach: !v["no-attach"],
    attestationDir: v["attestation-dir"] ?? "out/attestations",
    force: Boolean(v.force),
    help: Boolean(v.help)
  };
}
async function indexImage(argv) {
  const logger = createLogger();
  const results = [];
  try {
    const args = parseIndexArgs(argv);
    if (args.help) {
      process.stdout.write(INDEX_HELP);
      return 0;
    }
    const policy = parseVerifyImageArgs(["x/y", "--attestation", ...args.policyArgs]);
    if (!policy.publicKey && !policy.keyless && !policy.insecureIgnoreSignature) {
      throw new UserError("give a trust policy for the members' attestations: --public-key, --certificate-identity (or --insecure-ignore-signature)");
    }
    const signingKey = args.signKey !== void 0 ? await readSigningKeyFile(args.signKey) : void 0;
    const config = await loadConfig(args.config);
    const unknown = args.indexes.filter((t) => !config.indexes.has(t));
    if (unknown.length) throw new UserError(`unknown index ${unknown.join(", ")} in ${args.config}; known: ${[...config.indexes.keys()].join(", ") || "none"}`);
    const selected = [...config.indexes.values()].filter(
      (i) => args.indexes.length === 0 && args.releases.length === 0 || args.indexes.includes(i.tag) || i.targets.some((t) => args.releases.includes(config.targets.get(t).release ?? ""))
    );
    const provenance = readProvenance(REPO_ROOT, config.source);
    const { showAttestation } = await import("./show-attestation-3V7SYSV5.js");
    for (const index of selected) {
      const targets = index.targets.map((t) => config.targets.get(t));
      const repository = args.image ?? targets[0].image;
      const members = targets.map((t) => ({ target: t.name, platform: t.platform, ref: `${repository}:${t.tags[0]}` }));
      const vouchedBy = {};
      const refused = [];
      for (const m of members) {
        logger.info(`index ${index.tag}: judging the attestation of ${m.ref}`);
        try {
          const shown = await showAttestation(m.ref, policy.publicKey, logger, process.env, policy.keyless, policy.insecureIgnoreSignature);
          if (shown.exitCode === 0) vouchedBy[m.target] = `attestation ${shown.result.attestation.digest} (${shown.result.trust})`;
          else refused.push(`${m.ref}: ${String(shown.result.verdict ?? shown.result.error?.message)}`);
        } catch (e) {
          refused.push(`${m.ref}: ${errorMessage(e)}`);
        }
      }
      if (refused.length) {
        results.push({ tag: index.tag, status: "failed", reason: `not every architecture passed its GPU verify: ${refused.join("; ")}` });
        continue;
      }
      try {
        results.push(
          await makeIndex({
            repository,
            tag: index.tag,
            members,
            vouchedBy,
            force: args.force,
            attest: { push: args.attach, dir: path.resolve(args.attestationDir), ...signingKey ? { signingKey } : {}, builder: { version: packageVersion(), revision: provenance.revision, source: provenance.source } },
            logger
          })
        );
      } catch (e) {
        results.push({ tag: index.tag, status: "failed", reason: errorMessage(e) });
      }
    }
    const failed = results.filter((r) => r.status === "failed");
    for (const f of failed) logger.warn(`index ${f.tag}: ${f.reason}`);
    printResult({ ok: failed.length === 0, indexes: results, ...failed.length ? { error: { message: `${failed.length} index(es) not made`, exitCode: 1 } } : {} });
    return failed.length ? 1 : 0;
  } catch (e) {
    reportError(e);
    printResult({ ok: false, indexes: results, error: { message: errorMessage(e), exitCode: exitCodeFor(e) } });
    return exitCodeFor(e);
  }
}
function packageVersion() {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version;
}
export {
  INDEX_HELP,
  indexImage,
  parseIndexArgs
};
