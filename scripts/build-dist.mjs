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
//
// esbuild drops the bundled packages' licence comments (legalComments: "none"); their licences
// ship beside the bundle instead, in dist/THIRD-PARTY-NOTICES.txt: every package the bundle's
// inputs come from (esbuild's metafile), with its name, version, licence id and licence file text,
// sorted, with no paths, dates or chunk names, so a clean clone and a worktree write the same file.
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
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
    metafile: true,
    write: false,
  };
}

export const NOTICES = "dist/THIRD-PARTY-NOTICES.txt";

/** The package folders (…/node_modules/NAME or …/node_modules/@SCOPE/NAME, absolute) that the
 *  bundle's inputs come from, innermost node_modules first: a nested copy is its own package. */
export function bundledPackageDirs(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^((?:.*[\\/])?node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(input);
    if (m) dirs.add(path.resolve(ROOT, m[1]));
  }
  return [...dirs];
}

const LICENCE_FILE = /^(licen[cs]e|copying)([.-].*)?$/i;

/** dist/THIRD-PARTY-NOTICES.txt from the bundle's metafile: one entry per bundled package. */
export function thirdPartyNotices(metafile) {
  const packages = bundledPackageDirs(metafile).map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    const licence = typeof pkg.license === "string" ? pkg.license : (pkg.license?.type ?? "UNKNOWN");
    const files = readdirSync(dir).filter((f) => LICENCE_FILE.test(f)).sort();
    const texts = files.map((f) => `--- ${f} ---\n${readFileSync(path.join(dir, f), "utf8").replace(/\r\n?/g, "\n").replace(/\s+$/, "")}\n`);
    const author = typeof pkg.author === "string" ? pkg.author : pkg.author?.name;
    return { name: pkg.name, version: pkg.version, licence, author, texts };
  });
  const key = (p) => `${p.name}@${p.version}`;
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const unique = packages.filter((p, i) => i === 0 || key(p) !== key(packages[i - 1]));
  const rule = "=".repeat(80);
  let out = "Third-party software bundled in dist/ by scripts/build-dist.mjs (`npm run build`).\n" +
    "This file is generated from the bundle's inputs; do not edit it.\n\n" +
    `${unique.length} packages:\n` + unique.map((p) => `  ${p.name} ${p.version} (${p.licence})\n`).join("");
  for (const p of unique) {
    out += `\n${rule}\n${p.name} ${p.version}\nLicense: ${p.licence}\n${rule}\n`;
    out += p.texts.length ? p.texts.join("\n")
      : `(the package ships no licence file; its package.json names the licence above${p.author ? ` and the author: ${p.author}` : ""})\n`;
  }
  return out;
}

/** The bundle and esbuild's metafile (which inputs it was made from). */
export async function bundle() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build(esbuildOptions());
  const files = {};
  for (const f of result.outputFiles) files[path.relative(ROOT, f.path)] = f.text;
  files[NOTICES] = thirdPartyNotices(result.metafile);
  return { files, metafile: result.metafile };
}

/** The files the bundle consists of: { "dist/relative/path": contents }, the notices included. */
export async function buildDist() {
  return (await bundle()).files;
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
