/**
 * `npm run verify-image -- IMAGE`: runs the verify suite inside an existing image (e.g. one just
 * pulled by digest), with the verify settings of a build-file target. One JSON result on stdout.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { installCancellation } from "../cancel.js";
import { loadConfig } from "../config/load.js";
import { VERIFY_MODES, type VerifyMode, type VerifySettings } from "../config/schema.js";
import { IMAGE_REF } from "../config/validate.js";
import { DockerodeEngine } from "../docker/engine.js";
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { StepError, UserError, errorMessage } from "../errors.js";
import { createLogger } from "../log.js";
import { selectTargets } from "../pipeline/plan.js";
import { runVerifyStep } from "../verify/verify-step.js";
import { REPO_ROOT, exitCodeFor, printResult, reportError } from "./main.js";

export const VERIFY_IMAGE_HELP = `Usage: npm run verify-image -- IMAGE [options]

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
  -h, --help            show this help

Exit codes: 0 passed, 1 a check failed, 2 setup/server failed or bad input, 3 Docker daemon
unreachable, 130 cancelled.
`;

async function main(argv: string[]): Promise<number> {
  const logger = createLogger();
  const cancel = installCancellation((m) => logger.warn(m));
  let image: string | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          config: { type: "string" },
          target: { type: "string" },
          "verify-mode": { type: "string" },
          model: { type: "string" },
          timeout: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      });
    } catch (e) {
      throw new UserError(`${(e as Error).message}\nRun with --help to see the options.`);
    }
    const v = parsed.values;
    if (v.help) {
      process.stdout.write(VERIFY_IMAGE_HELP);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UserError("give exactly one IMAGE to verify (see --help)");
    image = parsed.positionals[0] as string;
    if (!IMAGE_REF.test(image) && !/^sha256:[0-9a-f]{64}$/.test(image)) throw new UserError(`${JSON.stringify(image)} is not an image reference`);
    const mode = v["verify-mode"];
    if (mode !== undefined && !(VERIFY_MODES as readonly string[]).includes(mode)) {
      throw new UserError(`--verify-mode: expected one of ${VERIFY_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
    }
    const timeout = v.timeout === undefined ? undefined : Number(v.timeout);
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1)) throw new UserError(`--timeout: expected whole seconds, got ${JSON.stringify(v.timeout)}`);
    const config = await loadConfig(v.config ?? "build.yaml");
    const [target] = selectTargets(config, v.target ? [v.target] : []);
    const settings: VerifySettings = {
      ...target!.verify,
      ...(mode ? { mode: mode as VerifyMode } : {}),
      ...(v.model ? { model: v.model } : {}),
      ...(timeout ? { timeoutSeconds: timeout } : {}),
    };
    const engine = new DockerodeEngine();
    await engine.ping();
    let info = await engine.inspectImage(image);
    if (!info) {
      logger.info(`${image} is not present locally: pulling it`);
      try {
        await engine.pullImage(image, { auth: await resolveRegistryAuth(image) }, (ev) => logger.progress("pull", ev), cancel.signal);
      } catch (e) {
        if (cancel.signal.aborted) throw e;
        throw new StepError("pull", `cannot pull ${image}: ${errorMessage(e).trim()}`, 2);
      }
      info = await engine.inspectImage(image);
      if (!info) throw new StepError("pull", `${image} is still missing after the pull`, 2);
    }
    const outcome = await runVerifyStep({
      engine,
      image: info.id,
      settings,
      baseDir: config.dir,
      repoRoot: REPO_ROOT,
      runId: `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`,
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
      verify: { outcome: "failed", report: (e as { report?: unknown }).report },
      error: { message: errorMessage(e), exitCode: exitCodeFor(e) },
    });
    return exitCodeFor(e);
  } finally {
    cancel.dispose();
  }
}

process.exitCode = await main(process.argv.slice(2));
