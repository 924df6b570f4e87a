/**
 * The `verify` command (`npm run verify-image -- IMAGE`): runs the verify suite inside an
 * existing image (e.g. one just pulled by digest), with the verify settings of a build-file
 * target. One JSON result on stdout.
 */
import { randomBytes } from "node:crypto";
import { installCancellation } from "../cancel.js";
import { loadConfig } from "../config/load.js";
import type { VerifySettings } from "../config/schema.js";
import { errorMessage } from "../errors.js";
import { createLogger } from "../log.js";
import { selectTargets } from "../pipeline/plan.js";
import { resolveImage } from "../pipeline/resolve-image.js";
import { REPO_ROOT } from "../repo-root.js";
import { VerifyFailedError, imageSglangVersion, preflightVerify, runVerifyStep } from "../verify/verify-step.js";
import { exitCodeFor, printResult, reportError } from "./exit.js";
import { VERIFY_IMAGE_HELP, parseVerifyImageArgs } from "./verify-image-args.js";

export async function verifyImage(argv: string[]): Promise<number> {
  const logger = createLogger();
  const cancel = installCancellation((m) => logger.warn(m));
  let image: string | undefined;
  // "failed" only once the suite really ran; bad arguments, a daemon that is down, a missing
  // image or a failed preflight mean it never did, as build-image reports it.
  let verifyStarted = false;
  try {
    const args = parseVerifyImageArgs(argv);
    if (args.help || args.image === undefined) {
      process.stdout.write(VERIFY_IMAGE_HELP);
      return 0;
    }
    image = args.image;
    if (args.attestation) {
      const { showAttestation } = await import("../attest/show-attestation.js");
      const shown = await showAttestation(image, args.publicKey, logger, process.env, args.keyless, args.insecureIgnoreSignature);
      printResult(shown.result);
      return shown.exitCode;
    }
    const config = await loadConfig(args.config);
    const [target] = selectTargets(config, args.target ? [args.target] : []);
    const settings: VerifySettings = {
      ...target!.verify,
      ...(args.verifyMode ? { mode: args.verifyMode } : {}),
      ...(args.model ? { model: args.model } : {}),
      ...(args.timeoutSeconds ? { timeoutSeconds: args.timeoutSeconds } : {}),
    };
    const { DockerodeEngine } = await import("../docker/engine.js");
    const engine = new DockerodeEngine();
    await engine.ping();
    await preflightVerify(engine, settings, REPO_ROOT, config.dir);
    const { info } = await resolveImage({ ref: image, step: "pull", what: "image", engine, logger, signal: cancel.signal });
    verifyStarted = true;
    const outcome = await runVerifyStep({
      engine,
      image: info.id,
      settings,
      baseDir: config.dir,
      repoRoot: REPO_ROOT,
      runId: `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`,
      sglangVersion: imageSglangVersion(info.labels, target!.sglangVersion),
      onOutput: (t) => logger.stream("verify", t),
      signal: cancel.signal,
    });
    printResult({ ok: true, image, imageId: info.id, labels: info.labels, verify: outcome });
    return 0;
  } catch (e) {
    reportError(e);
    printResult({
      ok: false,
      image,
      verify: verifyStarted ? { outcome: "failed", report: e instanceof VerifyFailedError ? e.report : undefined } : { outcome: "not-run" },
      error: { message: errorMessage(e), exitCode: exitCodeFor(e) },
    });
    return exitCodeFor(e);
  } finally {
    cancel.dispose();
  }
}
