/** Who built an image from what: the OCI source/revision/created labels. */
import { execFileSync } from "node:child_process";

export interface Provenance {
  /** org.opencontainers.image.source */
  source: string;
  /** git commit of this tool's checkout */
  revision: string;
  /** RFC 3339; from SOURCE_DATE_EPOCH or the revision's commit time, so a no-change
   *  rebuild gives the same image id. */
  created: string;
}

function git(repoRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The source as it may be published. The value ends up in a public label, the signed attestation
 * and stdout, and a clone URL often carries a credential (`https://user:TOKEN@host/o/r.git`, the
 * `x-access-token:` form CI checkouts write, a token in the query of a signed URL). So the
 * userinfo, the query and the fragment are dropped, whatever they hold. A value that is not a
 * URL (scp-like `git@host:o/r.git`, a plain name) has no password field and is kept; one that
 * only looks like a URL but does not parse is replaced by "unknown" rather than published raw.
 */
export function publishableSource(source: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return "unknown";
  }
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.toString();
}

export function readProvenance(repoRoot: string, source: string | undefined, env: NodeJS.ProcessEnv = process.env): Provenance {
  // One git call for both (start-up time): the commit and its time.
  const [commit, commitTime] = (git(repoRoot, ["log", "-1", "--format=%H %ct"]) ?? "").split(" ");
  const revision = commit || "unknown";
  // Reproducible-builds convention: SOURCE_DATE_EPOCH wins; otherwise the commit time, so the
  // same checkout builds the same image id (a wall-clock label would change it every run).
  const epoch = env.SOURCE_DATE_EPOCH;
  let created: string;
  if (epoch !== undefined && /^\d+$/.test(epoch)) created = new Date(Number(epoch) * 1000).toISOString();
  else created = new Date(commitTime ? Number(commitTime) * 1000 : Date.now()).toISOString();
  return {
    source: publishableSource(source ?? git(repoRoot, ["remote", "get-url", "origin"]) ?? "unknown"),
    revision,
    created,
  };
}
