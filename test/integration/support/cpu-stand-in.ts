/**
 * What the cpu verify mode needs on top of a stand-in base (stand-in-bases.ts):
 *  - a base whose sglang can start its CPU engine: the editable stand-in with the test-only
 *    diff test/python/cpu_engine/cpu_enable/*.patch applied and committed (v0.5.9 imports
 *    sgl_kernel unguarded on CPU and PyPI has no CPU sgl-kernel; see python/models/README.md);
 *  - the CPU dependency set: the project's .venv (scripts/python-env.sh, idempotent), whose
 *    site-packages the test mounts read-only and puts on PYTHONPATH (Debian bookworm's
 *    python3.11 and the venv's cp311 wheels share an ABI);
 *  - a tiny scripted checkpoint made on the host by python/models/scripted_models.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { packContext } from "../../../src/build-context.js";
import type { DockerEngine } from "../../../src/docker/engine.js";
import { REPO_ROOT } from "./services.js";
import { ensureStandInBase } from "./stand-in-bases.js";

const run = promisify(execFile);
export const CPU_ENABLE_DIR = path.join(REPO_ROOT, "test/python/cpu_engine/cpu_enable");

/** Builds the project's .venv if needed (it carries the CPU engine's set); returns its site-packages folder. */
export async function ensureCpuEngineSitePackages(): Promise<string> {
  // The first build downloads torch and friends (minutes); later calls are a stamp check.
  const { stdout } = await run("bash", [path.join(REPO_ROOT, "scripts/python-env.sh")], { cwd: REPO_ROOT, maxBuffer: 16 << 20, timeout: 3_600_000 });
  const venv = stdout.trim().split("\n").pop() as string;
  return path.join(venv, "lib/python3.11/site-packages");
}

/** The editable stand-in base with the CPU enablement diff applied; returns its tag (cached by inputs). */
export async function ensureCpuStandInBase(engine: DockerEngine, log: (m: string) => void = () => {}): Promise<string> {
  const base = await ensureStandInBase(engine, "editable", { log });
  const patches = readdirSync(CPU_ENABLE_DIR).filter((n) => n.endsWith(".patch")).sort();
  if (patches.length === 0) throw new Error(`no *.patch in ${CPU_ENABLE_DIR}`);
  const files = patches.map((n) => ({ name: `cpu-enable/${n}`, content: readFileSync(path.join(CPU_ENABLE_DIR, n)) }));
  // Committed, so the checkout stays clean like any vendor's base: the image's own patch set
  // then applies on top as it would on a real base.
  const dockerfile = `FROM ${base}
COPY cpu-enable/ /tmp/cpu-enable/
RUN set -e; cd /sgl-workspace/sglang && git apply /tmp/cpu-enable/*.patch && \\
    git -c user.name=stand-in -c user.email=stand-in@localhost commit -qam "CPU enablement (test only)" && rm -rf /tmp/cpu-enable
`;
  const context = await packContext([{ name: "Dockerfile", content: Buffer.from(dockerfile) }, ...files], []);
  const hash = createHash("sha256").update(base).update("\0").update(context.sha256).digest("hex").slice(0, 16);
  const tag = `sglang-image-patcher-test/base:editable-cpu-0.5.9-${hash}`;
  if (await engine.inspectImage(tag)) return tag;
  log(`building CPU stand-in base ${tag}`);
  await engine.buildImage(context.tar, { dockerfile: "Dockerfile", tag, buildargs: {}, labels: {} }, () => {});
  return tag;
}

/** Writes a scripted checkpoint (thinking by default, as the qwen3 reasoning checks expect) into dir. */
export async function makeScriptedModel(dir: string): Promise<string> {
  await run(path.join(REPO_ROOT, ".venv/bin/python"), ["-m", "scripted_models", dir, "--thinking-by-default"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, "python", "models") },
    maxBuffer: 16 << 20,
  });
  return dir;
}
