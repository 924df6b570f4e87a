/**
 * Stand-in base images that reproduce the official lmsysorg/sglang layout with the REAL
 * v0.5.9 files (from `bash scripts/fetch-sglang.sh`, never committed), on a Debian rootfs made
 * with mmdebstrap + docker import (the official images are tens of GB and CUDA-only):
 *   editable:      a git checkout at /sgl-workspace/sglang with python/sglang/, installed
 *                  editable (dist-info + __editable__ .pth in dist-packages, as pip -e does)
 *   site-packages: sglang as a plain install in dist-packages
 * The site-packages variant has setgid group-writable folders (as some distributions make
 * them), so the tests see the patched layer keep folder modes.
 * `version` other than the files' real 0.5.9 gives a base whose INSTALLED version is wrong
 * (for the wrong-version failure path). `release` takes another release's files (0.5.23), and
 * `only` keeps just those package files (paths under sglang/): a small stand-in for a release
 * whose wheel is large, enough for the build, which reads and patches files without importing.
 * Each image is tagged with a hash of its inputs and reused across runs: the rootfs alone takes
 * 20-60 s to bootstrap.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { packContext, type GeneratedFile } from "../../../src/build-context.js";
import type { DockerEngine } from "../../../src/docker/engine.js";
import { REPO_ROOT } from "./services.js";

const run = promisify(execFile);

export const ROOTFS_INCLUDE = ["python3", "git", "ca-certificates"];
export const ROOTFS_SUITE = "bookworm";
/** Bump when the recipe below changes meaning (the rootfs tag uses ROOTFS_RECIPE_VERSION). */
const RECIPE_VERSION = "2";
const ROOTFS_RECIPE_VERSION = "1";

export type StandInVariant = "editable" | "site-packages";

export function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 16);
}

export async function fetchSglang(release = "0.5.9"): Promise<string> {
  const { stdout } = await run("bash", [path.join(REPO_ROOT, "scripts/fetch-sglang.sh"), release], { cwd: REPO_ROOT, maxBuffer: 1 << 20 });
  return stdout.trim().split("\n").pop() as string;
}

export async function ensureRootfs(engine: DockerEngine, log: (m: string) => void = () => {}): Promise<string> {
  const tag = `sglang-image-patcher-test/rootfs:${hash(ROOTFS_RECIPE_VERSION, ROOTFS_SUITE, ...ROOTFS_INCLUDE)}`;
  if (await engine.inspectImage(tag)) return tag;
  log(`bootstrapping ${tag} with mmdebstrap (once; cached by tag)`);
  // Imported under a scratch tag and renamed only when both ends succeeded: docker import of an
  // empty stdin (mmdebstrap missing or failed) still makes an image, and cached under the real
  // tag it would make every later run fail with "/bin/sh: no such file".
  const scratch = `${tag}-partial-${process.pid}`;
  try {
    await new Promise<void>((resolve, reject) => {
      const deb = spawn("mmdebstrap", ["--variant=minbase", `--include=${ROOTFS_INCLUDE.join(",")}`, ROOTFS_SUITE, "-"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const imp = spawn("docker", ["import", "-", scratch], { stdio: ["pipe", "pipe", "pipe"] });
      let err = "";
      let spawnError: Error | null = null;
      deb.on("error", (e) => {
        spawnError = new Error(`mmdebstrap could not start (${e.message}); install it: apt-get install mmdebstrap`);
        imp.stdin.end();
      });
      deb.stderr.on("data", (c: Buffer) => (err += c.toString()));
      imp.stderr.on("data", (c: Buffer) => (err += c.toString()));
      // mmdebstrap writes the rootfs as a tar to stdout; docker import reads it from stdin.
      deb.stdout.pipe(imp.stdin);
      let debCode: number | null = null;
      deb.on("close", (c) => (debCode = c));
      imp.on("close", (c) => {
        if (spawnError) reject(spawnError);
        else if (debCode === 0 && c === 0) resolve();
        else reject(new Error(`mmdebstrap | docker import failed (${debCode}/${c}):\n${err.slice(-3000)}`));
      });
    });
    await run("docker", ["tag", scratch, tag]);
  } finally {
    await run("docker", ["rmi", "--no-prune", scratch]).catch(() => {});
  }
  return tag;
}

export function distInfoFiles(sglangDir: string, version: string, release = "0.5.9"): GeneratedFile[] {
  const real = path.join(sglangDir, `sglang-${release}.dist-info`);
  const files: GeneratedFile[] = [];
  for (const name of readdirSync(real)) {
    if (name === "RECORD" || name === "licenses") continue;
    let content = readFileSync(path.join(real, name));
    if (name === "METADATA") content = Buffer.from(content.toString("utf8").replace(/^Version: .*$/m, `Version: ${version}`));
    files.push({ name: `dist-info/${name}`, content });
  }
  files.push({ name: "dist-info/INSTALLER", content: Buffer.from("pip\n") });
  return files;
}

const EDITABLE_DOCKERFILE = (rootfs: string, version: string) => `FROM ${rootfs}
COPY sglang/ /sgl-workspace/sglang/python/sglang/
COPY dist-info/ /tmp/stand-in/dist-info/
# What \`pip install -e python\` leaves behind: dist-info (with direct_url.json marking it
# editable) and a .pth putting the checkout's python/ folder on sys.path.
RUN set -e; site=$(python3 -c 'import site; print(site.getsitepackages()[0])'); mkdir -p "$site"; \\
    mv /tmp/stand-in/dist-info "$site/sglang-${version}.dist-info"; \\
    echo '{"url": "file:///sgl-workspace/sglang/python", "dir_info": {"editable": true}}' > "$site/sglang-${version}.dist-info/direct_url.json"; \\
    echo /sgl-workspace/sglang/python > "$site/__editable__.sglang-${version}.pth"; \\
    cd /sgl-workspace/sglang && git init -q && git add -A && \\
    git -c user.name=stand-in -c user.email=stand-in@localhost commit -qm "SGLang ${version} release files (stand-in checkout)" && \\
    git tag v${version} && rm -rf /tmp/stand-in
`;

const SITE_PACKAGES_DOCKERFILE = (rootfs: string, version: string) => `FROM ${rootfs}
COPY sglang/ /tmp/stand-in/sglang/
COPY dist-info/ /tmp/stand-in/dist-info/
RUN set -e; site=$(python3 -c 'import site; print(site.getsitepackages()[0])'); mkdir -p "$site"; \\
    mv /tmp/stand-in/sglang "$site/sglang"; mv /tmp/stand-in/dist-info "$site/sglang-${version}.dist-info"; rm -rf /tmp/stand-in; \\
    chmod 2775 "$site" "$site/sglang/srt"
`;

/** Builds (or reuses) a stand-in base; returns its tag. */
export async function ensureStandInBase(
  engine: DockerEngine,
  variant: StandInVariant,
  opts: { version?: string; release?: string; only?: string[]; log?: (m: string) => void } = {},
): Promise<string> {
  const release = opts.release ?? "0.5.9";
  const version = opts.version ?? release;
  const rootfs = await ensureRootfs(engine, opts.log);
  const sglangDir = await fetchSglang(release);
  const dockerfile = (variant === "editable" ? EDITABLE_DOCKERFILE : SITE_PACKAGES_DOCKERFILE)(rootfs, version);
  // A file the series creates (not in the release) is not part of the base.
  const only = (opts.only ?? [])
    .filter((rel) => existsSync(path.join(sglangDir, "sglang", rel)))
    .map((rel) => ({ name: `sglang/${rel}`, content: readFileSync(path.join(sglangDir, "sglang", rel)) }));
  const context = await packContext(
    [{ name: "Dockerfile", content: Buffer.from(dockerfile) }, ...distInfoFiles(sglangDir, version, release), ...only],
    opts.only ? [] : [{ from: path.join(sglangDir, "sglang"), to: "sglang" }],
  );
  const name = release === "0.5.9" ? `${variant}-${version}` : `${variant}-files${release}-${version}`;
  const tag = `sglang-image-patcher-test/base:${name}-${hash(RECIPE_VERSION, rootfs, context.sha256)}`;
  if (await engine.inspectImage(tag)) return tag;
  opts.log?.(`building stand-in base ${tag}`);
  await engine.buildImage(context.tar, { dockerfile: "Dockerfile", tag, buildargs: {}, labels: {} }, () => {});
  // Older builds of the same variant (other input hashes) are only disk use now.
  const prefix = `sglang-image-patcher-test/base:${name}-`;
  const stale = execFileSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "sglang-image-patcher-test/base"], { encoding: "utf8" })
    .split("\n")
    .filter((t) => t.startsWith(prefix) && t !== tag);
  for (const t of stale) await engine.removeImage(t).catch(() => {});
  return tag;
}
