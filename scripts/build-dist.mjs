// Bundles the command line into dist/ with esbuild (`npm run build`). dist/ is committed, so the
// CLI runs from plain JavaScript right after `npm ci` and after `npm ci --omit=dev` (no tsx, no
// esbuild, no TypeScript needed at run time); test/unit/dist.test.ts rebuilds it in memory and
// fails when the committed files differ from what src/ gives.
//
// Our code and the pure-JavaScript dependencies used on the way to a plan (yaml, tar-fs,
// tar-stream) are bundled: Node then reads a few files instead of resolving hundreds, which is
// most of the start-up time. dockerode stays a runtime dependency (ssh2's optional native parts
// do not bundle), loaded only once a command talks to the daemon. Code splitting keeps --help
// from loading the pipeline at all.
import { readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(ROOT, "dist");

export function esbuildOptions() {
  return {
    absWorkingDir: ROOT,
    entryPoints: ["src/cli/sglang-image-patcher.ts"],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: "dist",
    chunkNames: "chunks/[name]-[hash]",
    external: ["dockerode"],
    // Bundled CommonJS dependencies call require() for Node's own modules.
    banner: { js: 'import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);' },
    legalComments: "none",
    logLevel: "warning",
    metafile: false,
    write: false,
  };
}

/** The files the bundle consists of: { "dist/relative/path": contents }. */
export async function buildDist() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build(esbuildOptions());
  const files = {};
  for (const f of result.outputFiles) files[path.relative(ROOT, f.path)] = f.text;
  return files;
}

export function listDist(dir = DIST, prefix = "dist") {
  let out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}/${e.name}`;
    if (e.isDirectory()) out = out.concat(listDist(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = await buildDist();
  rmSync(DIST, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ROOT, rel)), { recursive: true });
    writeFileSync(path.join(ROOT, rel), text, { mode: rel === "dist/sglang-image-patcher.js" ? 0o755 : 0o644 });
  }
  console.error(`build: wrote ${Object.keys(files).length} files to dist/`);
}
