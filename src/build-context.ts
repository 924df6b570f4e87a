/**
 * The Docker build context, packed with tar-fs from explicit sources in a fixed order with
 * normalised headers (mtime 0, uid/gid 0, no user names, modes 0644/0755), so the same inputs
 * give a byte-identical tar and the same sha256. That makes the context hash a cache key and
 * a provenance record, and lets the Engine's build cache hit on a no-change rebuild.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync } from "node:fs";
import path from "node:path";
import tarFs from "tar-fs";
import tarStream from "tar-stream";
import type { PatchSet } from "./patch-set.js";

export const DOCKERFILE_NAME = "patched.Dockerfile";

export interface ContextSource {
  /** Folder on the host. */
  from: string;
  /** Folder inside the context ("" for the root). */
  to: string;
  /** Only these relative names (files); all files of `from` when absent. */
  only?: string[];
}

export interface GeneratedFile {
  name: string;
  content: Buffer;
}

export interface BuildContext {
  tar: Buffer;
  sha256: string;
  /** Context paths in the order they were packed (for the plan and tests). */
  entries: string[];
}

// Never shipped into an image: caches and editor/VCS droppings.
const IGNORED = /(^|\/)(__pycache__|\.pytest_cache|\.mypy_cache|\.git|node_modules)(\/|$)|\.py[co]$|~$|\.swp$|\.DS_Store$/;

function normalizeHeader(header: tarStream.Header, to: string): tarStream.Header {
  const rel = header.name === "." ? "" : header.name.replace(/^\.\//, "");
  const name = [to, rel].filter(Boolean).join("/") || ".";
  const isDir = header.type === "directory";
  const executable = !isDir && ((header.mode ?? 0) & 0o111) !== 0;
  return {
    ...header,
    name: isDir ? `${name}/` : name,
    mode: isDir || executable ? 0o755 : 0o644,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
  };
}

function packSource(pack: tarStream.Pack, source: ContextSource): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!existsSync(source.from)) return reject(new Error(`build context source ${source.from} does not exist`));
    const symlinks: string[] = [];
    // A fixed list keeps the order stable across file systems; `sort` orders directory walks.
    tarFs.pack(source.from, {
      pack,
      entries: source.only,
      sort: true,
      strict: true,
      finalize: false,
      ignore: (name: string) => {
        // A symlink could point outside the context (or differ between machines): refuse it.
        // Detected here because throwing from tar-fs's callbacks would escape the promise.
        if (lstatSync(name).isSymbolicLink()) symlinks.push(name);
        return IGNORED.test(path.relative(source.from, name)) || lstatSync(name).isSymbolicLink();
      },
      map: (header: tarStream.Header) => {
        return normalizeHeader(header, source.to);
      },
      finish: () => (symlinks.length > 0 ? reject(new Error(`symlinks are not allowed in the build context: ${symlinks.join(", ")}`)) : resolve()),
    }).on("error", reject);
  });
}

function addFile(pack: tarStream.Pack, file: GeneratedFile): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(
      { name: file.name, size: file.content.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "", type: "file" },
      file.content,
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

/** Packs generated files first, then each source in order; returns the tar and its sha256. */
export async function packContext(generated: GeneratedFile[], sources: ContextSource[]): Promise<BuildContext> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const entries: string[] = [];
  pack.on("data", (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  const originalEntry = pack.entry.bind(pack);
  // Record names as they are written (tar-fs calls pack.entry for each file).
  pack.entry = ((header: tarStream.Header, ...rest: unknown[]) => {
    entries.push(header.name);
    return (originalEntry as (...a: unknown[]) => unknown)(header, ...rest);
  }) as typeof pack.entry;
  for (const file of [...generated].sort((a, b) => a.name.localeCompare(b.name))) await addFile(pack, file);
  for (const source of sources) await packSource(pack, source);
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return { tar, sha256: createHash("sha256").update(tar).digest("hex"), entries };
}

export interface PatchedImageContextInputs {
  /** Repository root (dockerfiles/ and verify/ are found there). */
  repoRoot: string;
  patchSet: PatchSet;
  /** The release the image is built on (one the series covers; default the series' own). */
  release?: string;
  /** Folder of the verify package (its contents land in /opt/sglang-image-patcher/verify). */
  verifyDir?: string;
}

/**
 * The plan the in-image script reads: which patches, for which SGLang. sglangVersion is the
 * release the base must have (the target's); writtenOn and upstreamCommit are the series' own
 * release and its commit (a checkout's git HEAD proves only that release); releases: all it covers.
 */
export function patchSetPlan(patchSet: PatchSet, release = patchSet.sglangVersion): Buffer {
  const plan = {
    name: patchSet.name,
    sglangVersion: release,
    writtenOn: patchSet.sglangVersion,
    releases: patchSet.releases,
    upstreamCommit: patchSet.upstream.commit,
    patches: patchSet.patches.map((p) => p.name),
    sha256: Object.fromEntries(patchSet.patches.map((p) => [p.name, p.sha256])),
  };
  return Buffer.from(`${JSON.stringify(plan, null, 2)}\n`);
}

export async function buildPatchedImageContext(inputs: PatchedImageContextInputs): Promise<BuildContext> {
  const dockerfiles = path.join(inputs.repoRoot, "dockerfiles");
  const verifyDir = inputs.verifyDir ?? path.join(inputs.repoRoot, "verify");
  const generated: GeneratedFile[] = [
    { name: "patchset/patchset.json", content: patchSetPlan(inputs.patchSet, inputs.release) },
    ...inputs.patchSet.patches.map((p) => ({ name: `patchset/${p.name}`, content: p.bytes })),
  ];
  const sources: ContextSource[] = [{ from: dockerfiles, to: "", only: [DOCKERFILE_NAME, "apply_patchset.py"] }];
  if (existsSync(verifyDir)) sources.push({ from: verifyDir, to: "verify" });
  else generated.push({ name: "verify/.keep", content: Buffer.from("") });
  return packContext(generated, sources);
}
