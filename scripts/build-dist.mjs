// Bundles the command line into dist/ with esbuild (`npm run build`). dist/ is committed, so the
// CLI runs from plain JavaScript right after `npm ci` and after `npm ci --omit=dev` (no tsx, no
// esbuild, no TypeScript needed at run time); test/unit/dist.test.ts rebuilds it in memory and
// fails when the committed files differ from what src/ gives.
//
// Our code and our dependencies are bundled: Node then reads a few files instead of resolving
// hundreds, which is most of the start-up time. Two parts of dockerode are not: its BuildKit
// session (gRPC, protobufjs) and docker-modem's ssh:// transport (ssh2, with optional native
// code) cost about 0.3 s to load and a build-image run over the socket never uses them. They
// stay runtime dependencies behind small stubs that require the real module on first use, so
// DOCKER_HOST=ssh://... still works. Code splitting keeps --help from loading the pipeline, and
// a plan from loading dockerode.
import { readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(ROOT, "dist");

/** Modules loaded only when first called: a stub in the bundle, the real file from node_modules. */
const LOADED_ON_FIRST_USE = {
  "dockerode/lib/session.js": /[\\/]dockerode[\\/]lib[\\/]session\.js$/,
  "docker-modem/lib/ssh.js": /[\\/]docker-modem[\\/]lib[\\/]ssh\.js$/,
};

const loadOnFirstUse = {
  name: "load-on-first-use",
  setup(build) {
    const specifiers = Object.keys(LOADED_ON_FIRST_USE);
    build.onResolve({ filter: /^(dockerode|docker-modem)\/lib\/\w+\.js$/ }, (args) =>
      specifiers.includes(args.path) ? { path: args.path, external: true } : undefined,
    );
    for (const [specifier, file] of Object.entries(LOADED_ON_FIRST_USE)) {
      // Both modules export one function.
      build.onLoad({ filter: file }, () => ({
        contents: `module.exports = function () { return require(${JSON.stringify(specifier)}).apply(this, arguments); };`,
        loader: "js",
      }));
    }
  },
};

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
    // Required on first use only (BuildKit sessions, ssh transport), from node_modules.
    external: ["ssh2", "cpu-features", "protobufjs", "@grpc/grpc-js", "@grpc/proto-loader"],
    plugins: [loadOnFirstUse],
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
