/**
 * Which verify suite judges an image: always this checkout's `verify/tokenids_verify`, mounted
 * read-only over the copy the image carries (an old image would otherwise be checked by its own
 * old suite, a modified one by whatever it ships). The result and the attestation name the suite
 * by version and by a tree hash anyone can recompute from a checkout:
 *
 *   cd verify && find tokenids_verify -name __pycache__ -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
 *
 * (that is: sha256 over the lines "<sha256 hex>  <path>\n" of every file, paths relative to
 * verify/, in byte order; __pycache__ is left out, Python rebuilds it from the sources).
 */
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { StepError } from "../errors.js";

export const SUITE_PACKAGE = "tokenids_verify";

export interface SuiteIdentity {
  name: typeof SUITE_PACKAGE;
  /** verify/pyproject.toml's version. */
  version: string;
  /** The tree hash above, `sha256:<hex>`. */
  sha256: string;
  files: number;
  /** Where it came from: the checkout, mounted over the image's copy. */
  source: "checkout";
}

/** The host folder mounted over the image's copy. */
export function suiteDir(repoRoot: string): string {
  return path.join(repoRoot, "verify", SUITE_PACKAGE);
}

function listFiles(dir: string, rel: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === "__pycache__") continue;
    const full = path.join(dir, name);
    const st = lstatSync(full);
    // A link could point anywhere on the host, and the hash would not say what it named.
    if (st.isSymbolicLink()) throw new StepError("verify", `the verify suite holds a symbolic link (${path.join(rel, name)}); it must be plain files`, 2);
    if (st.isDirectory()) listFiles(full, `${rel}/${name}`, out);
    else if (st.isFile()) out.push(`${rel}/${name}`);
  }
}

export function suiteIdentity(repoRoot: string): SuiteIdentity {
  const verifyDir = path.join(repoRoot, "verify");
  const files: string[] = [];
  listFiles(suiteDir(repoRoot), SUITE_PACKAGE, files);
  // Byte order, as `LC_ALL=C sort` gives.
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const tree = createHash("sha256");
  for (const f of files) tree.update(`${createHash("sha256").update(readFileSync(path.join(verifyDir, f))).digest("hex")}  ${f}\n`);
  const pyproject = readFileSync(path.join(verifyDir, "pyproject.toml"), "utf8");
  const version = /^version\s*=\s*"([^"]+)"/m.exec(pyproject)?.[1] ?? "unknown";
  return { name: SUITE_PACKAGE, version, sha256: `sha256:${tree.digest("hex")}`, files: files.length, source: "checkout" };
}
