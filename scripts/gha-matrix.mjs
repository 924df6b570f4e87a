// Turns the JSON plan of `build-image --dry-run` into the GitHub Actions matrix output line
// `matrix={"include":[{"target":...,"arch":"amd64"|"arm64"}]}` for build-image.yml. The arch
// picks the runner labels; it comes from the target's base platform in build.yaml.
import { readFileSync } from "node:fs";

export function matrixFromPlan(plan) {
  if (!plan || !Array.isArray(plan.targets) || plan.targets.length === 0) {
    throw new Error("gha-matrix: the plan has no targets (was it produced by build-image --dry-run?)");
  }
  const include = plan.targets.map((t) => {
    const platform = t.base?.platform ?? "linux/amd64";
    const arch = platform.split("/")[1];
    if (arch !== "amd64" && arch !== "arm64") throw new Error(`gha-matrix: target ${t.target}: unsupported platform ${platform}`);
    return { target: t.target, arch };
  });
  return { include };
}

/** The index tags whose targets are all in the plan (the index job's matrix; [""] when none, as a
 *  matrix may not be empty: the job skips that entry). */
export function indexesFromPlan(plan) {
  const tags = (plan?.indexes ?? []).map((i) => i.tag);
  return tags.length ? tags : [""];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) { console.error("usage: node scripts/gha-matrix.mjs PLAN.json"); process.exitCode = 2; }
  else {
    try {
      const plan = JSON.parse(readFileSync(file, "utf8"));
      console.log(`matrix=${JSON.stringify(matrixFromPlan(plan))}`);
      console.log(`indexes=${JSON.stringify(indexesFromPlan(plan))}`);
    }
    catch (e) { console.error(e.message); process.exitCode = 1; }
  }
}
