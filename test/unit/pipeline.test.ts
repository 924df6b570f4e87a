/** runTarget with a fake engine: step order, what is (not) tagged or pushed on each failure. */
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { parseConfigText } from "../../src/config/load.js";
import { memoryLogger } from "../../src/log.js";
import { planTarget, type CliOptions } from "../../src/pipeline/plan.js";
import { tagMoves } from "../../src/pipeline/push.js";
import { runTarget, type TargetResult } from "../../src/pipeline/run.js";
import { BASE_ID, BUILT_ID, FakeEngine, streamError } from "./fake-engine.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const BASE = "example/base:1";
// A folder that looks like the harness checkout (engine-less mode mounts it).
const HARNESS = mkdtempSync(path.join(os.tmpdir(), "sip-harness-"));
mkdirSync(path.join(HARNESS, "sglang_engineless"));
const config = (verify = `{ mode: engineless, harness: ${HARNESS} }`) =>
  parseConfigText(
    `targets:\n  t:\n    base: "${BASE}"\n    patchSet: test/fixtures/patchsets/fixture-v0.5.9\n    image: reg.example.com/o/img\n    tags: [one, two]\n    verify: ${verify}\n`,
    path.join(REPO_ROOT, "build.yaml"),
    REPO_ROOT,
  );
const PROV = { source: "s", revision: "r", created: "2026-01-01T00:00:00.000Z" };
const opts = (over: Partial<CliOptions> = {}): CliOptions => ({ targets: [], tags: [], skipVerify: true, pushUnverified: true, dryRun: false, ...over });
const env = { SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME: "u", SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD: "secret-pw" };

async function run(engine: FakeEngine, o: Partial<CliOptions> = {}, verify?: string, runEnv: NodeJS.ProcessEnv = env, before: Record<string, string> = {}) {
  const cfg = config(verify);
  const planned = await planTarget(cfg, cfg.targets.get("t")!, opts(o), REPO_ROOT, PROV);
  const logger = memoryLogger();
  // The registry answers as the fake engine's pushes left it: each pushed ref names the built
  // image; `before`: refs that name another image (by config digest) until this run pushes them.
  const readRegistryTags = async (refs: readonly string[]) =>
    new Map(
      refs.map((ref) => [
        ref,
        engine.pushed.includes(ref)
          ? { ref, present: true, manifestDigest: `sha256:${"d".repeat(64)}`, configDigest: BUILT_ID }
          : before[ref]
            ? { ref, present: true, manifestDigest: `sha256:${"9".repeat(64)}`, configDigest: before[ref] }
            : { ref, present: false },
      ]),
    );
  const deps = { engine, logger, repoRoot: REPO_ROOT, configDir: REPO_ROOT, env: runEnv, pushRetry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 }, readRegistryTags };
  return { logger, promise: runTarget(planned, deps) };
}

describe("the pipeline with a fake engine", () => {
  it("builds under a per-run tag, tags the user's refs, drops the per-run tag, pushes each ref with credentials", async () => {
    const engine = new FakeEngine(BASE);
    const { promise, logger } = await run(engine);
    const r = await promise;
    expect(r.status).toBe("pushed");
    expect(engine.calls.map((c) => c.replace(/:[0-9a-z]+-[0-9a-f]{6}$/, ":RUN"))).toEqual([
      "build sglang-image-patcher-build/t:RUN", "tag reg.example.com/o/img:one", "tag reg.example.com/o/img:two",
      "rmi sglang-image-patcher-build/t:RUN", "push reg.example.com/o/img:one", "push reg.example.com/o/img:two",
    ]);
    // A base that came from no registry has no base digest: never its image id in the label.
    expect(r.base).toEqual({ ref: BASE, imageId: BASE_ID, pulled: false });
    expect(r.image).toMatchObject({ id: BUILT_ID, addedLayers: 1, refs: ["reg.example.com/o/img:one", "reg.example.com/o/img:two"] });
    expect(r.image?.labels).not.toHaveProperty(["org.opencontainers.image.base.digest"]);
    expect(r.image?.labels["org.opencontainers.image.base.name"]).toBe(BASE);
    expect(r.push[0]).toMatchObject({ digest: `reg.example.com/o/img@sha256:${"d".repeat(64)}`, attempts: 1 });
    expect(engine.pushAuth[0]).toEqual({ username: "u", password: "secret-pw", serveraddress: "reg.example.com" });
    expect(logger.lines.join("\n")).not.toContain("secret-pw");
    expect(r.verify.outcome).toBe("skipped");
  });

  it("a push that would move an existing tag to other content is refused without --force; the same content is fine", async () => {
    const other = `sha256:${"7".repeat(64)}`;
    const engine = new FakeEngine(BASE);
    const refused = await (await run(engine, {}, undefined, env, { "reg.example.com/o/img:two": other })).promise.catch((e) => e);
    expect(refused.message).toBe(`push: refusing to move existing tags to other content: reg.example.com/o/img:two names sha256:${"9".repeat(64)}. Push under a new tag, or pass --force to move them`);
    expect(refused.exitCode).toBe(2);
    expect(engine.pushed).toEqual([]);
    expect(refused.result).toMatchObject({ status: "failed", error: { step: "push" }, push: [] });
    const same = new FakeEngine(BASE);
    expect((await (await run(same, {}, undefined, env, { "reg.example.com/o/img:two": BUILT_ID })).promise).status).toBe("pushed");
    const forced = new FakeEngine(BASE);
    const r = await (await run(forced, { force: true }, undefined, env, { "reg.example.com/o/img:two": other })).promise;
    expect(r.status).toBe("pushed");
    expect(r.warnings).toEqual([`--force: moving reg.example.com/o/img:two names sha256:${"9".repeat(64)}`]);
  });

  it("a tag the registry cannot be asked about refuses the push, unless it refused our credentials (the push then says so)", () => {
    const answers = (e: string) => new Map([["r:1", new Error(e)]]);
    expect(tagMoves(["r:1"], answers("fetch failed: connect ECONNREFUSED"), BUILT_ID)).toEqual(["r:1 could not be read (fetch failed: connect ECONNREFUSED)"]);
    expect(tagMoves(["r:1"], answers("the registry answered HTTP 401 for http://r/v2/x/manifests/1"), BUILT_ID)).toEqual([]);
    expect(tagMoves(["r:1"], new Map([["r:1", { ref: "r:1", present: false }]]), BUILT_ID)).toEqual([]);
  });

  it("the base digest label is the base repository's own registry digest, never another repository's", async () => {
    const own = `sha256:${"1".repeat(64)}`;
    const other = `sha256:${"2".repeat(64)}`;
    const engine = new FakeEngine(BASE);
    engine.images.get(BASE)!.repoDigests = [`example/other@${other}`, `example/base@${own}`];
    const r = await (await run(engine)).promise;
    expect(r.base?.digest).toBe(own);
    expect(r.image?.labels["org.opencontainers.image.base.digest"]).toBe(own);

    const foreign = new FakeEngine(BASE);
    foreign.images.get(BASE)!.repoDigests = [`example/other@${other}`];
    const f = await (await run(foreign)).promise;
    expect(f.base).not.toHaveProperty("digest");
    expect(f.image?.labels).not.toHaveProperty(["org.opencontainers.image.base.digest"]);
  });

  it("the push log names where the credentials came from", async () => {
    const { promise, logger } = await run(new FakeEngine(BASE));
    await promise;
    expect(logger.lines.join("\n")).toContain(
      "pushing reg.example.com/o/img:one as u (credentials from the environment variables SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME/SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD)",
    );
    const authConfig = JSON.stringify({ auths: { "reg.example.com": { auth: Buffer.from("envuser:pw").toString("base64") } } });
    const fromDockerEnv = await run(new FakeEngine(BASE), {}, undefined, { DOCKER_AUTH_CONFIG: authConfig, DOCKER_CONFIG: "/nonexistent" });
    await fromDockerEnv.promise;
    expect(fromDockerEnv.logger.lines.join("\n")).toContain("pushing reg.example.com/o/img:one as envuser (credentials from the environment variable DOCKER_AUTH_CONFIG)");
    const anonymous = await run(new FakeEngine(BASE), {}, undefined, { DOCKER_CONFIG: "/nonexistent" });
    await anonymous.promise;
    expect(anonymous.logger.lines.join("\n")).toContain("pushing reg.example.com/o/img:one (no credentials configured)");
  });

  it("a failed build tags nothing and pushes nothing", async () => {
    const engine = new FakeEngine(BASE);
    engine.buildError = streamError("The command returned a non-zero code: 1", ["apply-patchset: ERROR: patch 0002-x.patch does not apply to the SGLang at /s (nothing was applied):", "error: patch failed: sglang/a.py:3"]);
    const { promise } = await run(engine);
    const err = await promise.catch((e) => e);
    expect(err.message).toBe("build: patch 0002-x.patch does not apply to the SGLang at /s (nothing was applied):\n  error: patch failed: sglang/a.py:3");
    expect(err.exitCode).toBe(2); // the patch set does not fit the base: bad input
    expect((err.result as TargetResult).error?.step).toBe("build");
    expect(engine.calls.some((c) => c.startsWith("tag") || c.startsWith("push"))).toBe(false);
  });

  it("a build that fails without the patch script's ERROR marker is a failed step, exit code 1", async () => {
    const engine = new FakeEngine(BASE);
    engine.buildError = streamError("The command returned a non-zero code: 1", ["Traceback (most recent call last):", "OSError: [Errno 28] No space left on device"]);
    const { promise } = await run(engine);
    const err = await promise.catch((e) => e);
    expect(err.message).toContain("No space left on device");
    expect(err.exitCode).toBe(1);
  });

  it("a missing base that cannot be pulled is named, exit code 2", async () => {
    const engine = new FakeEngine("other:1");
    const { promise } = await run(engine);
    await expect(promise).rejects.toThrow(`resolve-base: base image ${BASE} not found`);
    await expect(promise).rejects.toMatchObject({ exitCode: 2 });
  });

  it("retries a transient push failure with backoff, then succeeds", async () => {
    const engine = new FakeEngine(BASE);
    engine.pushErrors = [new Error("connection reset by peer"), new Error("received unexpected HTTP status: 503 Service Unavailable")];
    const { promise, logger } = await run(engine);
    const r = await promise;
    expect(r.push[0]!.attempts).toBe(3);
    expect(logger.lines.filter((l) => l.includes("retrying"))).toHaveLength(2);
  });

  it("does not retry refused authentication and says how to log in", async () => {
    const engine = new FakeEngine(BASE);
    engine.pushErrors = [new Error("unauthorized: authentication required")];
    const { promise } = await run(engine);
    await expect(promise).rejects.toThrow(
      "push: registry reg.example.com refused authentication for reg.example.com/o/img:one (unauthorized: authentication required). Log in with `docker login reg.example.com` or set SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME and SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD.",
    );
    expect(engine.calls.filter((c) => c.startsWith("push"))).toHaveLength(1);
  });

  it("gives up after the attempts run out", async () => {
    const engine = new FakeEngine(BASE);
    engine.pushErrors = [1, 2, 3].map(() => new Error("dial tcp 127.0.0.1:1: connect: connection refused"));
    const { promise } = await run(engine);
    await expect(promise).rejects.toThrow(/push: pushing reg\.example\.com\/o\/img:one failed: .*connection refused \(gave up after 3 attempts\)/);
  });

  it("a push failing on the second ref: the first is reported pushed, the registry asked, the local tags put back", async () => {
    const engine = new FakeEngine(BASE);
    const OLD_ID = `sha256:${"e".repeat(64)}`;
    const old = { ...engine.images.get(BASE)!, id: OLD_ID };
    engine.images.set("reg.example.com/o/img:two", old);
    engine.images.set("reg.example.com/o/img:old", old);
    engine.pushErrors = [undefined as unknown as Error, ...[1, 2, 3].map(() => new Error("connection refused"))];
    const { promise } = await run(engine);
    const err = await promise.catch((e) => e);
    const r = err.result as TargetResult;
    expect(r.status).toBe("failed");
    expect(r.push.map((p) => [p.ref, p.reportedBy])).toEqual([["reg.example.com/o/img:one", "daemon"]]);
    expect(r.registry).toEqual([
      { ref: "reg.example.com/o/img:one", state: "this-image", manifestDigest: `sha256:${"d".repeat(64)}` },
      { ref: "reg.example.com/o/img:two", state: "absent" },
    ]);
    expect(r.tagsReverted).toEqual([`reg.example.com/o/img:two: moved back to ${OLD_ID}`, "reg.example.com/o/img:one: removed (it did not exist before this run)"]);
    expect(engine.images.get("reg.example.com/o/img:two")?.id).toBe(OLD_ID);
    expect(engine.images.has("reg.example.com/o/img:one")).toBe(false);
    expect(r.image?.refs).toEqual([]);
  });

  it("a push cancelled here that the registry has anyway is reported as pushed (by the registry)", async () => {
    const engine = new FakeEngine(BASE);
    const controller = new AbortController();
    engine.pushImage = async (repo: string, tag: string) => {
      engine.calls.push(`push ${repo}:${tag}`);
      controller.abort(new CancelledError("SIGINT"));
      throw new Error("aborted");
    };
    const cfg = config();
    const planned = await planTarget(cfg, cfg.targets.get("t")!, opts(), REPO_ROOT, PROV);
    const readRegistryTags = async (refs: readonly string[]) =>
      new Map(refs.map((ref) => [ref, ref.endsWith(":one") ? { ref, present: true, manifestDigest: `sha256:${"f".repeat(64)}`, configDigest: BUILT_ID } : { ref, present: false }]));
    const err = await runTarget(planned, { engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: REPO_ROOT, env, signal: controller.signal, readRegistryTags }).catch((e) => e);
    const r = err.result as TargetResult;
    expect(r.status).toBe("cancelled");
    expect(r.push).toEqual([{ ref: "reg.example.com/o/img:one", digest: `reg.example.com/o/img@sha256:${"f".repeat(64)}`, bytesUploaded: null, layersPushed: null, layersAlreadyPresent: null, attempts: null, reportedBy: "registry" }]);
    expect(r.warnings?.[0]).toMatch(/^reg\.example\.com\/o\/img:one: this run's push did not finish here, but the registry's tag names this image/);
  });

  it("a verify failure leaves no tag of ours and pushes nothing, and embeds the report", async () => {
    const engine = new FakeEngine(BASE);
    const report = { checks: [{ name: "streaming_ids", status: "failed" }, { name: "non_streaming_ids", status: "passed" }] };
    engine.oneShot = async () => ({ exitCode: 1, timedOut: false, copied: await tarWith("sglang-image-patcher-verify/report.json", JSON.stringify(report)) });
    const { promise } = await run(engine, { skipVerify: false, pushUnverified: false }, `{ mode: engineless, harness: ${HARNESS} }`);
    const err = await promise.catch((e) => e);
    expect(err.message).toBe("verify: the verify suite exited 1 (a check failed); failed checks: streaming_ids");
    const r = err.result as TargetResult;
    expect(r.verify).toMatchObject({ outcome: "failed", report });
    expect(engine.calls.some((c) => c.startsWith("tag") || c.startsWith("push"))).toBe(false);
    expect(engine.calls.at(-1)).toMatch(/^rmi sglang-image-patcher-build\/t:/);
  });

  it("an engine-less pass is recorded as engineless-verified and not pushed", async () => {
    const engine = new FakeEngine(BASE);
    engine.oneShot = async () => ({ exitCode: 0, timedOut: false, copied: await tarWith("sglang-image-patcher-verify/report.json", '{"checks":[]}') });
    const { promise } = await run(engine, { skipVerify: false, pushUnverified: false }, `{ mode: engineless, harness: ${HARNESS} }`);
    const r = await promise;
    expect(r.status).toBe("built");
    expect(r.verify).toMatchObject({ outcome: "engineless-verified", countsAsVerified: false, report: { checks: [] } });
    expect(r.pushSkippedReason).toMatch(/verify mode engineless does not verify the real engine/);
    expect(engine.calls.some((c) => c.startsWith("push"))).toBe(false);
    // the suite is told the patch set's release, so it launches with that release's flags
    expect(engine.lastSpec?.cmd.join(" ")).toContain("--sglang-version 0.5.9");
  });

  it("gpu verify on a daemon that cannot give a container a GPU fails before building, saying what to do", async () => {
    const engine = new FakeEngine(BASE);
    const { promise } = await run(engine, { skipVerify: false, pushUnverified: false }, "{ mode: gpu }");
    await expect(promise).rejects.toThrow(/cannot give a container a GPU \(.*could not select device driver .*nvidia-ctk runtime configure --runtime=docker.*verify\.mode: engineless/);
    expect(engine.calls.map((c) => c.replace(/[0-9a-z]+-[0-9a-f]{6}$/, "RUN"))).toEqual(["run sglang-image-patcher-gpu-probe-RUN"]);
  });

  it("verify.env and verify.envFrom reach the verify container, and neither value the plan, the result or the log", async () => {
    const engine = new FakeEngine(BASE);
    const cfg = config(`{ mode: engineless, harness: ${HARNESS}, env: { FROM_FILE: file-Secr3t }, envFrom: [HF_TOKEN] }`);
    const planned = await planTarget(cfg, cfg.targets.get("t")!, opts({ skipVerify: false, pushUnverified: false }), REPO_ROOT, PROV);
    expect(planned.plan.verify.settings.env).toEqual({ FROM_FILE: "(hidden)" });
    expect(planned.plan.verify.settings.envFrom).toEqual(["HF_TOKEN"]);
    const logger = memoryLogger();
    vi.stubEnv("HF_TOKEN", "hf_Secr3t");
    const r = await runTarget(planned, { engine, logger, repoRoot: REPO_ROOT, configDir: REPO_ROOT }).catch((e) => e.result as TargetResult);
    vi.unstubAllEnvs();
    expect(engine.lastSpec?.env).toMatchObject({ FROM_FILE: "file-Secr3t", HF_TOKEN: "hf_Secr3t" });
    const shown = JSON.stringify(r) + JSON.stringify(planned.plan) + logger.lines.join("\n") + JSON.stringify(engine.lastSpec?.labels);
    expect(shown).not.toMatch(/Secr3t/);

    // Not set on the host: a clear error before any build, naming the variable.
    vi.stubEnv("HF_TOKEN", undefined);
    const bare = new FakeEngine(BASE);
    const missing = await runTarget(planned, { engine: bare, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: REPO_ROOT }).catch((e) => e);
    vi.unstubAllEnvs();
    expect(bare.calls).toEqual([]);
    expect(String(missing.message)).toMatch(/verify.envFrom names HF_TOKEN, not set in this environment/);
  });

  it("Ctrl-C during verify aborts, reports cancelled, and drops the per-run tag", async () => {
    const engine = new FakeEngine(BASE);
    engine.oneShot = (_spec, signal) => new Promise((_r, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    const cfg = config(`{ mode: engineless, harness: ${HARNESS} }`);
    const planned = await planTarget(cfg, cfg.targets.get("t")!, opts({ skipVerify: false, pushUnverified: false }), REPO_ROOT, PROV);
    const controller = new AbortController();
    const p = runTarget(planned, { engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: REPO_ROOT, signal: controller.signal });
    setTimeout(() => controller.abort(new CancelledError("SIGINT")), 50);
    const err = await p.catch((e) => e);
    expect(err.message).toBe("cancelled by SIGINT");
    expect((err.result as TargetResult).status).toBe("cancelled");
    expect(engine.calls.at(-1)).toMatch(/^rmi sglang-image-patcher-build\/t:/);
  });
});

async function tarWith(name: string, content: string): Promise<Buffer> {
  const tarStream = (await import("tar-stream")).default;
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on("end", () => r()));
  pack.entry({ name: name.split("/")[0] + "/", type: "directory" });
  pack.entry({ name }, content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
