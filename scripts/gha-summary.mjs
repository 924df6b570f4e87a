// Renders build-image's JSON result as the Markdown job summary of build-image.yml: one
// section per target with its status, the pushed repo@sha256 digests and the verify check
// table. A missing or unreadable result (the build crashed before printing) still gives a
// summary that says so, since this step runs `if: always()`.
import { existsSync, readFileSync } from "node:fs";

const cell = (s) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

export function summaryMarkdown(result) {
  const out = ["# build-image", ""];
  if (!result || !Array.isArray(result.targets)) return [...out, "No result: build-image printed no JSON result (see the job log)."].join("\n");
  if (result.error) out.push(`**Error:** ${cell(result.error.message ?? result.error)}`, "");
  for (const t of result.targets) {
    out.push(`## ${t.target}: ${t.status}`, "");
    if (t.error) out.push(`Failed in step \`${t.error.step}\`: ${cell(t.error.message)}`, "");
    if (t.base?.digest) out.push(`Base: \`${t.base.ref}\` (\`${t.base.digest}\`)`, "");
    for (const p of t.push ?? []) out.push(`- pushed \`${p.digest}\``);
    if (t.pushSkippedReason) out.push(`- not pushed: ${cell(t.pushSkippedReason)}`);
    // The statement build-image wrote; the workflow's keyless attestation is its own step.
    const a = t.attestation;
    if (a) out.push(`- attestation: \`${cell(a.statement?.predicateType)}\`, GPU-verified: ${a.statement?.predicate?.verify?.gpuVerified === true ? "yes" : "no"}, ${cell(a.signature)}`);
    out.push("");
    const v = t.verify ?? {};
    out.push(`Verify: **${v.outcome ?? "not-run"}** (mode ${v.mode ?? "?"})${v.reason ? `: ${cell(v.reason)}` : ""}`, "");
    const checks = v.report?.checks;
    if (Array.isArray(checks) && checks.length > 0) {
      out.push("| check | status | seconds | note |", "| --- | --- | --- | --- |");
      for (const c of checks) {
        const note = c.status === "skipped" ? c.skip_reason : (c.problems ?? []).slice(0, 2).join("; ");
        out.push(`| ${cell(c.name)} | ${c.status} | ${c.seconds ?? ""} | ${cell(note)} |`);
      }
      out.push("");
    }
  }
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? "out/result.json";
  let result;
  try { result = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined; } catch { result = undefined; }
  console.log(summaryMarkdown(result));
}
