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
    source: source ?? git(repoRoot, ["remote", "get-url", "origin"]) ?? "unknown",
    revision,
    created,
  };
}
