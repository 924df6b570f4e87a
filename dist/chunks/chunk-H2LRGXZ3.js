import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/provenance.ts
import { execFileSync } from "node:child_process";
function git(repoRoot, args) {
  try {
    return execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || void 0;
  } catch {
    return void 0;
  }
}
function publishableSource(source) {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  let url;
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
function readProvenance(repoRoot, source, env = process.env) {
  const [commit, commitTime] = (git(repoRoot, ["log", "-1", "--format=%H %ct"]) ?? "").split(" ");
  const revision = commit || "unknown";
  const epoch = env.SOURCE_DATE_EPOCH;
  let created;
  if (epoch !== void 0 && /^\d+$/.test(epoch)) created = new Date(Number(epoch) * 1e3).toISOString();
  else created = new Date(commitTime ? Number(commitTime) * 1e3 : Date.now()).toISOString();
  return {
    source: publishableSource(source ?? git(repoRoot, ["remote", "get-url", "origin"]) ?? "unknown"),
    revision,
    created
  };
}

export {
  readProvenance
};
