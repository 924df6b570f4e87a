import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  VERIFY_IMAGE_HELP,
  parseVerifyImageArgs
} from "./chunk-GUYWX2KO.js";
import "./chunk-5XWWRMUY.js";
import {
  VerifyFailedError,
  imageSglangVersion,
  installCancellation,
  preflightVerify,
  resolveImage,
  runVerifyStep,
  selectTargets
} from "./chunk-FC5YW65F.js";
import "./chunk-6IKKWDSF.js";
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
import "./chunk-BZ5EBXJ5.js";
import "./chunk-LRJ6VPQL.js";
import "./chunk-CAIBC3BL.js";
import "./chunk-F7NKY5RN.js";
import {
  errorMessage,
  exitCodeFor
} from "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";

// src/cli/verify-image.ts
import { randomBytes } from "node:crypto";
async function verifyImage(argv) {
  const logger = createLogger();
  const cancel = installCancellation((m) => logger.warn(m));
  let image;
  let verifyStarted = false;
  try {
    const args = parseVerifyImageArgs(argv);
    if (args.help || args.image === void 0) {
      process.stdout.write(VERIFY_IMAGE_HELP);
      return 0;
    }
    image = args.image;
    if (args.attestation) {
      const { showAttestation } = await import("./show-attestation-3V7SYSV5.js");
      const shown = await showAttestation(image, args.publicKey, logger, process.env, args.keyless, args.insecureIgnoreSignature);
      printResult(shown.result);
      return shown.exitCode;
    }
    const config = await loadConfig(args.config);
    const [target] = selectTargets(config, args.target ? [args.target] : []);
    const settings = {
      ...target.verify,
      ...args.verifyMode ? { mode: args.verifyMode } : {},
      ...args.model ? { model: args.model } : {},
      ...args.timeoutSeconds ? { timeoutSeconds: args.timeoutSeconds } : {}
    };
    const { DockerodeEngine } = await import("./engine-6MEIAAPF.js");
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
      sglangVersion: imageSglangVersion(info.labels, target.sglangVersion),
      onOutput: (t) => logger.stream("verify", t),
      signal: cancel.signal
    });
    printResult({ ok: true, image, imageId: info.id, labels: info.labels, verify: outcome });
    return 0;
  } catch (e) {
    reportError(e);
    printResult({
      ok: false,
      image,
      verify: verifyStarted ? { outcome: "failed", report: e instanceof VerifyFailedError ? e.report : void 0 } : { outcome: "not-run" },
      error: { message: errorMessage(e), exitCode: exitCodeFor(e) }
    });
    return exitCodeFor(e);
  } finally {
    cancel.dispose();
  }
}
export {
  verifyImage
};
