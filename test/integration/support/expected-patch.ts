/**
 * What a patch set should do to the real v0.5.9 files, computed on the host with git apply in a
 * scratch copy laid out like the upstream repository (python/sglang/...): the files the diffs
 * touch and their expected contents.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface ExpectedPatch {
  /** Paths relative to the folder holding the sglang package, e.g. sglang/srt/.../protocol.py */
  files: Map<string, Buffer>;
}

export function touchedPaths(patchTexts: string[]): string[] {
  const out = new Set<string>();
  for (const text of patchTexts) {
    for (const m of text.matchAll(/^\+\+\+ b\/python\/(\S+)$/gm)) out.add(m[1] as string);
  }
  return [...out].sort();
}

export function expectedPatchResult(sglangDir: string, patchFiles: string[]): ExpectedPatch {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "sip-expected-"));
  try {
    // git apply needs only the files the diffs touch (0.5.23's package is 131 MB).
    const touched = touchedPaths(patchFiles.map((f) => readFileSync(f, "utf8")));
    for (const rel of touched) if (existsSync(path.join(sglangDir, rel))) cpSync(path.join(sglangDir, rel), path.join(scratch, "python", rel));
    // A clean git: the developer's own config (apply.whitespace = fix, say) must not shape
    // what the image is compared against.
    const env = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(scratch), GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
    execFileSync("git", ["apply", ...patchFiles], { cwd: scratch, env, stdio: ["ignore", "pipe", "pipe"] });
    const files = new Map<string, Buffer>();
    for (const rel of touched) {
      files.set(rel, readFileSync(path.join(scratch, "python", rel)));
    }
    return { files };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
