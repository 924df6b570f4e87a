/**
 * Every relative link in the documentation leads somewhere: README.md, CONTRIBUTING.md,
 * docs/*.md, each patch series' README and every other markdown file of the tree. A link's file (or folder) exists, and a `#anchor`
 * into a markdown file names one of its headings, slugged as GitHub does (lowercase; everything
 * but letters, digits, spaces, `-` and `_` dropped; spaces to `-`; a repeated heading gets
 * `-1`, `-2`, ...) or an explicit `<a id=...>`/`name=`. Links inside code (fenced blocks, `spans`)
 * are text, not links; absolute URLs are not followed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The documentation files checked, relative to the root: every markdown file of the tree (the
 *  README, CONTRIBUTING.md, docs/, each series' and each tool's README, bench/), outside
 *  dependencies, caches and build output. */
const SKIP = new Set(["node_modules", "dist", "out", "proposals"]);
function docFiles(root: string, dir = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (e.name.startsWith(".") || SKIP.has(e.name)) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...docFiles(root, rel));
    else if (e.isFile() && e.name.endsWith(".md")) out.push(rel);
  }
  return out.sort();
}

/** The text outside fenced code blocks, with inline code spans blanked (same line numbers). */
function prose(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split("\n").map((line) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1]![0]!.repeat(m[1]!.length);
      else if (m[1]!.startsWith(fence)) fence = undefined;
      return "";
    }
    if (fence !== undefined) return "";
    return line.replace(/(`+)(?:(?!\1).)+?\1/g, (s) => " ".repeat(s.length));
  });
}

/** GitHub's anchor for a heading's text. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link keeps its text
    .replace(/`/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/(\*\*|__|\*)/g, "");
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, "").replace(/ /g, "-");
}

/** Every anchor a markdown file has. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === undefined) fence = f[1]![0]!.repeat(f[1]!.length);
      else if (f[1]!.startsWith(fence)) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(a[1]!);
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** `file:line: target: why` for every relative link that leads nowhere. */
export function brokenLinks(root: string, files: string[]): string[] {
  const problems: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchors(readFileSync(file, "utf8")));
    return anchorCache.get(file)!;
  };
  for (const rel of files) {
    const file = path.join(root, rel);
    prose(readFileSync(file, "utf8")).forEach((line, i) => {
      const targets = [
        ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
        ...[...line.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]!),
      ];
      for (const target of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
        const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
        const dest = pathPart === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
        const where = `${rel}:${i + 1}: ${target}`;
        if (!existsSync(dest)) {
          problems.push(`${where}: no such file`);
          continue;
        }
        if (anchor !== undefined && statSync(dest).isFile() && dest.endsWith(".md") && !anchorsOf(dest).has(decodeURIComponent(anchor))) {
          problems.push(`${where}: no heading with that anchor in ${path.relative(root, dest)}`);
        }
      }
    });
  }
  return problems;
}

describe("documentation links", () => {
  it("checks the README, CONTRIBUTING.md, docs/, the series READMEs and the rest", () => {
    const files = docFiles(ROOT);
    expect(files).toEqual(expect.arrayContaining(["README.md", "CONTRIBUTING.md", "docs/cli.md", "docs/token-ids-contract.md", "patches/sglang-v0.5.9/README.md"]));
    expect(files.filter((f) => f.includes("node_modules") || f.startsWith("dist/"))).toEqual([]);
  });

  it("every relative link points at an existing file, and every #anchor at a heading", () => {
    expect(brokenLinks(ROOT, docFiles(ROOT))).toEqual([]);
  });

  it("slugs headings as GitHub does", () => {
    expect(slug("Configuration reference (`build.yaml`)")).toBe("configuration-reference-buildyaml");
    expect(slug("Attestations: the verify report bound to the pushed digest")).toBe("attestations-the-verify-report-bound-to-the-pushed-digest");
    expect(slug("The package's `bin`")).toBe("the-packages-bin");
    expect(slug("Tiers and CI time")).toBe("tiers-and-ci-time");
  });

  it("fails on a broken link, a missing anchor and a repeated heading's anchor; not on code or URLs", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "doc-links-"));
    try {
      writeFileSync(path.join(dir, "other.md"), "# Other\n\n## Same\n\n## Same\n\n<a id=\"custom\"></a>\n");
      writeFileSync(
        path.join(dir, "README.md"),
        [
          "# Title",
          "[ok](other.md) [ok](other.md#same) [ok](other.md#same-1) [ok](other.md#custom) [ok](#title) [ok](https://example.com/x.md)",
          "[gone](missing.md) [gone](other.md#nowhere) [gone](other.md#same-2) [gone](#no-such-heading)",
          "`[code](missing-in-code.md)`",
          "```",
          "[fenced](missing-in-fence.md)",
          "```",
          "[ref]: docs/missing-ref.md",
        ].join("\n"),
      );
      expect(brokenLinks(dir, ["README.md"])).toEqual([
        "README.md:3: missing.md: no such file",
        "README.md:3: other.md#nowhere: no heading with that anchor in other.md",
        "README.md:3: other.md#same-2: no heading with that anchor in other.md",
        "README.md:3: #no-such-heading: no heading with that anchor in README.md",
        "README.md:8: docs/missing-ref.md: no such file",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
