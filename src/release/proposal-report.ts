/**
 * The proposal's two documents: SUMMARY.md, one screen a reviewer reads first (verdict, steps,
 * the hunks that need a person, what to do to adopt it), and PORT.md, the full record (per diff:
 * merged / conflicted with its hunks and why; per contract clause: stock already satisfies it /
 * the series does (which diff) / missing).
 */
import type { Proposal, StepResult } from "./proposal-types.js";

/** READY: every step passed; CONFLICTED: hunks need a person; FAILING: a step failed; INCOMPLETE: steps left out. */
export function verdict(p: Proposal): "READY" | "CONFLICTED" | "FAILING" | "INCOMPLETE" {
  if (p.ok) return "READY";
  if (p.diffs.some((d) => d.status === "conflict")) return "CONFLICTED";
  return p.steps.some((s) => s.status === "failed") ? "FAILING" : "INCOMPLETE";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const time = (s: StepResult) => (s.seconds === undefined ? "-" : `${s.seconds} s`);
const mark = { passed: "passed", failed: "FAILED", skipped: "skipped" } as const;

function diffCounts(p: Proposal): string {
  const n = (f: (d: Proposal["diffs"][number]) => boolean) => p.diffs.filter(f).length;
  const hunks = p.diffs.reduce((k, d) => k + (d.hunks?.length ?? 0), 0);
  return (
    `${p.diffs.length} diffs: ${n((d) => d.status === "merged")} merged (${n((d) => d.status === "merged" && !!d.exact)} as is, ` +
    `${n((d) => d.status === "merged" && !d.exact)} by 3-way merge), ${n((d) => d.status === "upstream")} already upstream (dropped), ` +
    `${n((d) => d.status === "conflict")} conflicted` + (hunks ? ` (${hunks} hunks)` : "")
  );
}

/** A hunk that conflicts only because an earlier diff it builds on did not merge (port.py's why). */
export function isFollowOn(why: string): boolean {
  return why.startsWith("builds on lines an earlier diff adds");
}

/** Hunks that need a person: all, and those that are not follow-ons of an earlier conflict. */
export function hunkCounts(p: Proposal): { hunks: number; own: number } {
  const all = p.diffs.flatMap((d) => d.hunks ?? []);
  return { hunks: all.length, own: all.filter((h) => !isFollowOn(h.why)).length };
}

export function renderSummary(p: Proposal, maxDiffs = 12): string {
  const v = verdict(p);
  const lines = [
    `# SGLang ${p.version}: ${v}`,
    "",
    `Ported from the ${p.from.version} series (\`${p.from.dir.split("/").slice(-2).join("/")}\`): ${diffCounts(p)}.`,
    "",
    "| step | result | time | detail |",
    "| --- | --- | --- | --- |",
    ...p.steps.map((s) => `| ${s.name} | ${mark[s.status]} | ${time(s)} | ${cell(s.detail)} |`),
  ];
  const conflicted = p.diffs.filter((d) => d.status === "conflict");
  if (conflicted.length) {
    lines.push("", "**Needs a person** (resolve each `series/*.patch.conflict`; every hunk and why: PORT.md):", "");
    for (const d of conflicted.slice(0, maxDiffs)) {
      const hunks = d.hunks ?? [];
      const own = hunks.filter((h) => !isFollowOn(h.why));
      const first = own[0] ?? hunks[0];
      const where = first ? `; first: \`${first.file.replace(/^python\//, "")}\` \`${first.hunk.replace(/ @@.*/, " @@")}\`: ${first.why.slice(0, 110)}` : "";
      lines.push(`- \`${d.file ?? d.source}\`: ${hunks.length} hunk(s), ${own.length} of its own, ${hunks.length - own.length} follow from an earlier conflict${where}`);
    }
    if (conflicted.length > maxDiffs) lines.push(`- ... and ${conflicted.length - maxDiffs} more conflicted diffs in PORT.md`);
  }
  if (p.env?.borrowed) lines.push("", `Python layer: the ${p.env.release} one (\`${p.env.requirements}\`; ${p.version} has no requirements file yet): if matrix or overlap failed on an import, add \`python/requirements/sglang-${p.version}.txt\`.`);
  const dropped = p.diffs.filter((d) => d.status === "upstream");
  if (dropped.length) lines.push("", `No longer needed (the release already contains them): ${dropped.map((d) => `\`${d.source}\``).join(", ")}.`);
  if (p.clauses) {
    const stock = p.clauses.filter((c) => c.stock).map((c) => c.id);
    const missing = p.clauses.filter((c) => !c.with_series).map((c) => c.id);
    lines.push("", `Contract: stock ${p.version} already satisfies ${stock.length} of ${p.clauses.length} clauses${stock.length ? ` (${stock.join(", ")})` : ""}; ` + (missing.length ? `MISSING with the series: ${missing.join(", ")}.` : "the series satisfies every other."));
  }
  if (p.targets) {
    const confirmed = p.targets.filter((t) => t.state === "confirmed").map((t) => t.target);
    const unconfirmed = p.targets.filter((t) => t.state === "unconfirmed").map((t) => t.base.split(":")[1]);
    lines.push("", `Targets (targets.yaml): ${confirmed.length ? `${confirmed.join(", ")} read on the registry` : "none confirmed"}` + (unconfirmed.length ? `; UNCONFIRMED (registry not readable): ${[...new Set(unconfirmed)].join(", ")}` : "") + ".");
  }
  lines.push(
    "",
    v === "READY"
      ? `To adopt: move \`series/\` to \`patches/sglang-v${p.version}/\` (fill in the tag's commit in patchset.yaml), add targets.yaml's entries to build.yaml; the build-image workflow builds and pushes after merge.`
      : v === "CONFLICTED"
        ? `To finish (docs/releases.md, How to add a release): put \`series/\` in \`patches/sglang-v${p.version}/\`, \`npm run patches:regen -- init ${p.version}\`, redo each \`.patch.conflict\` there as a commit with its subject, \`npm run patches:regen -- export .cache/patch-work-${p.version}\`, then \`npm run patches:overlap -- ${p.version}\`.`
        : v === "INCOMPLETE"
          ? `Not ready: ${p.steps.filter((s) => s.status === "skipped").map((s) => s.name).join(", ")} did not run; run \`npm run release:propose -- ${p.version}\` without --skip.`
          : "To finish: fix what the failed steps name (PORT.md has the record), then run the proposal again.",
  );
  return `${lines.join("\n")}\n`;
}

export function renderPortMd(p: Proposal, toolPortMd: string): string {
  const lines = [`# SGLang ${p.version}: port of the ${p.from.version} series`, "", "## Per diff", "", "| source diff | result | file here | hunks that need a person |", "| --- | --- | --- | --- |"];
  for (const d of p.diffs) {
    const how = d.status === "merged" ? (d.exact ? "merged (applies as is)" : "merged (3-way)") : d.status === "upstream" ? "dropped: already in the release" : "CONFLICTED";
    const hunks = (d.hunks ?? []).map((h) => `\`${h.file}\` \`${h.hunk}\`: ${h.why}`).join("<br>");
    lines.push(`| \`${d.source}\` | ${how} | ${d.file ? `\`${d.file}\`` : "-"} | ${cell(hunks) || "-"} |`);
  }
  if (!p.diffs.length) lines.push("| (the port did not run) | | | |");
  lines.push("", "## Per contract clause", "");
  if (p.clauses) {
    lines.push("| clause | stock already satisfies it | the series does (from diff) | missing |", "| --- | --- | --- | --- |");
    for (const c of p.clauses) lines.push(`| \`${c.id}\` | ${c.stock ? "yes" : "no"} | ${c.stock ? "-" : c.with_series ? `\`${c.added_by}\`` : "-"} | ${c.with_series ? "" : "MISSING"} |`);
  } else {
    const s = p.steps.find((x) => x.name === "overlap");
    lines.push(`Not measured: ${s ? `${s.status}: ${s.detail}` : "the overlap step did not run"}.`);
  }
  if (p.matrix) {
    const c = (m: { passed?: number; total?: number; error?: string }) => (m.error ? `could not run: ${m.error}` : `${m.passed}/${m.total}`);
    lines.push("", "## Core matrix", "", `Patched: ${c(p.matrix.patched)} scenarios keep the contract; stock (the unpatched control): ${c(p.matrix.stock)}.`);
  }
  if (toolPortMd.trim()) lines.push("", "## patches:port's own record", "", toolPortMd.replace(/^# .*\n/, "").trim());
  return `${lines.join("\n")}\n`;
}
