/**
 * A patch set: a folder under patches/ with patchset.yaml (what SGLang it is for) and
 * NNNN-short-name.patch files applied in lexical order. Reading it hashes every patch, since
 * the hashes go into the image labels and the build result.
 *
 * One series may cover several releases (`releases: ["0.5.12", "0.5.12.post1"]`) when it applies
 * without fuzz to each of them: `sglangVersion` stays the release it was written on (its
 * upstream commit is that release's) and is always in the list; `releases` defaults to it alone.
 */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import { ConfigError, UserError } from "./errors.js";
import { join, mapping, str, type Problems } from "./config/validate.js";
import { VERSION } from "./config/schema.js";

export interface PatchFile {
  name: string;
  path: string;
  sha256: string;
  bytes: Buffer;
}

export interface PatchSet {
  name: string;
  dir: string;
  sglangVersion: string;
  /** Every SGLang release the series applies to (patches:check proves each); holds sglangVersion. */
  releases: string[];
  upstream: { repository: string; tag: string; commit: string };
  patches: PatchFile[];
}

export const MANIFEST = "patchset.yaml";
const PATCH_NAME = /^\d{4}-[A-Za-z0-9._-]+\.patch$/;

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function loadPatchSet(dir: string): Promise<PatchSet> {
  const manifestPath = path.join(dir, MANIFEST);
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch {
    throw new UserError(`patch set ${dir}: missing ${MANIFEST} (it declares the SGLang version and upstream commit the patches are for)`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(manifestPath, doc.errors.map((e) => `YAML: ${e.message.split("\n")[0]}`));
  const problems: Problems = [];
  const m = mapping(doc.toJS(), "", ["name", "sglangVersion", "releases", "upstream", "patches"], problems);
  const name = str(m?.name, "name", problems);
  const sglangVersion = str(m?.sglangVersion, "sglangVersion", problems);
  const up = mapping(m?.upstream, "upstream", ["repository", "tag", "commit"], problems);
  const repository = str(up?.repository, join("upstream", "repository"), problems);
  const tag = str(up?.tag, join("upstream", "tag"), problems);
  // YAML reads an id of digits only (or digits and one "e") as a number: say to quote it.
  const commit = str(up?.commit, join("upstream", "commit"), problems, {
    pattern: /^[0-9a-f]{40}$/,
    what: typeof up?.commit === "number" ? 'a full 40-hex commit id in quotes (YAML read this one as a number; write commit: "...")' : "a full 40-hex commit id",
  });
  const releases = coveredReleases(m?.releases, sglangVersion, problems);
  // Optional explicit list: then every listed file must exist (a missing patch is an error,
  // not silently fewer patches) and no unlisted .patch may sit in the folder.
  let listed: string[] | undefined;
  if (m?.patches !== undefined) {
    if (!Array.isArray(m.patches) || m.patches.some((x) => typeof x !== "string")) problems.push("patches: expected a list of file names");
    else listed = m.patches as string[];
  }
  if (problems.length > 0 || !name || !sglangVersion || !releases || !repository || !tag || !commit) throw new ConfigError(manifestPath, problems);

  const files = (await readdir(dir)).filter((f) => f.endsWith(".patch")).sort();
  const bad = files.filter((f) => !PATCH_NAME.test(f));
  if (bad.length > 0) throw new UserError(`patch set ${dir}: file names must look like NNNN-short-name.patch: ${bad.join(", ")}`);
  if (files.length === 0) throw new UserError(`patch set ${dir}: no NNNN-*.patch files (an image without patches is not what this tool builds)`);
  let names = files;
  if (listed) {
    const missing = listed.filter((f) => !files.includes(f));
    if (missing.length > 0) throw new UserError(`patch set ${dir}: missing patch file(s) listed in ${MANIFEST}: ${missing.join(", ")}`);
    const extra = files.filter((f) => !listed.includes(f));
    if (extra.length > 0) throw new UserError(`patch set ${dir}: patch file(s) not listed in ${MANIFEST}: ${extra.join(", ")}`);
    names = [...listed].sort();
  }
  const patches = await Promise.all(
    names.map(async (f) => {
      const p = path.join(dir, f);
      const bytes = await readFile(p);
      if (bytes.length === 0) throw new UserError(`patch set ${dir}: ${f} is empty`);
      return { name: f, path: p, sha256: sha256(bytes), bytes };
    }),
  );
  return { name, dir, sglangVersion, releases, upstream: { repository, tag, commit }, patches };
}

/** `releases:` of a manifest: quoted versions, no repeats, holding sglangVersion; absent = [sglangVersion]. */
function coveredReleases(raw: unknown, sglangVersion: string | undefined, problems: Problems): string[] | undefined {
  if (raw === undefined) return sglangVersion === undefined ? undefined : [sglangVersion];
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('releases: expected a non-empty list of SGLang versions, e.g. ["0.5.12", "0.5.12.post1"]');
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((v, i) => {
    // YAML reads 0.5 (one dot) as a number; say to quote rather than guess.
    const s = str(v, join("releases", i), problems, { pattern: VERSION, what: 'a quoted SGLang version like "0.5.12.post1"' });
    if (s === undefined) return;
    if (out.includes(s)) problems.push(`${join("releases", i)}: ${s} is listed twice`);
    else out.push(s);
  });
  if (sglangVersion !== undefined && out.length === raw.length && !out.includes(sglangVersion)) {
    problems.push(`releases: must list sglangVersion ${sglangVersion} (the release the series was written on), got ${out.join(", ")}`);
  }
  return out.length === raw.length ? out : undefined;
}

/** Whether the series covers `release` (a version, with or without the leading v). */
export function coversRelease(patchSet: Pick<PatchSet, "releases">, release: string): boolean {
  return patchSet.releases.includes(release.replace(/^v/, ""));
}
