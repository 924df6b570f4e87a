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
  it.each(["ci.yml", "build-image.yml"])("%s parses without schema errors", (file) => {
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
    expect(runs.join("\n")).toMatch(/build-image -- --target/);
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
