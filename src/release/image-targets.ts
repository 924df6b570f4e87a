/**
 * The build.yaml targets of a release, from the image tags upstream publishes for it. Which tags
 * to look for follows upstream's `_docker-build-and-publish.yml` (docs/releases.md, "Notes on the tags"):
 * up to v0.5.19 one tag per CUDA lane (cu129, cu130) and architecture; from v0.5.20 one
 * multi-arch tag per lane (cu130 only: CUDA 12 stops after v0.5.19). Each candidate is READ from
 * the registry through the project's client (registry-client.ts, the pull's credentials); fail
 * closed: a tag the registry did not confirm is never written as a target, only as a commented
 * entry marked UNCONFIRMED (the registry could not be asked) or listed as absent (it said 404).
 */
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { errorMessage } from "../errors.js";
import { repositoryAndTag } from "../image-ref.js";
import { readRegistryTag, type RegistryTag } from "../registry-client.js";
import { compareText } from "./versions.js";

export const UPSTREAM_IMAGE = "lmsysorg/sglang";

export interface Candidate {
  /** Our target's name (= the tag it pushes). */
  target: string;
  /** Upstream's tag the target is built from. */
  base: string;
  platform: "linux/amd64" | "linux/arm64";
  /** Multi-arch lane tag this target joins (from v0.5.20). */
  index?: string;
}

export type TagState = "confirmed" | "absent" | "unconfirmed";

export interface TargetAnswer extends Candidate {
  state: TagState;
  digest?: string;
  why?: string;
}

export function candidateTargets(version: string, image = UPSTREAM_IMAGE): Candidate[] {
  const out: Candidate[] = [];
  const multiArch = compareText(version, "0.5.20") >= 0;
  const lanes = compareText(version, "0.5.19") > 0 ? ["cu130"] : ["cu129", "cu130"];
  for (const lane of lanes)
    for (const flavour of ["", "-runtime"])
      for (const arch of ["amd64", "arm64"] as const) {
        const target = `v${version}-${lane}-${arch}${flavour}`;
        const platform = `linux/${arch}` as const;
        if (multiArch) out.push({ target, base: `${image}:v${version}-${lane}${flavour}`, platform, index: `v${version}-${lane}${flavour}` });
        else out.push({ target, base: `${image}:${target}`, platform });
      }
  return out;
}

export type TagReader = (ref: string) => Promise<RegistryTag>;

export const registryTagReader: TagReader = async (ref) => {
  const auth = (await resolveRegistryAuth(repositoryAndTag(ref).repository))?.auth;
  return readRegistryTag(ref, { auth, timeoutMs: 15_000 });
};

/** Reads every candidate's base tag (each distinct tag once, in parallel). */
export async function readTargets(version: string, read: TagReader = registryTagReader, image = UPSTREAM_IMAGE): Promise<TargetAnswer[]> {
  const candidates = candidateTargets(version, image);
  const reads = new Map<string, Promise<{ state: TagState; digest?: string; why?: string }>>();
  for (const c of candidates)
    if (!reads.has(c.base))
      reads.set(
        c.base,
        read(c.base).then(
          (t) => (t.present ? { state: "confirmed" as const, ...(t.manifestDigest ? { digest: t.manifestDigest } : {}) } : { state: "absent" as const, why: "the registry has no such tag" }),
          (e) => ({ state: "unconfirmed" as const, why: `the registry could not be read: ${errorMessage(e)}` }),
        ),
      );
  const out: TargetAnswer[] = [];
  for (const c of candidates) out.push({ ...c, ...(await reads.get(c.base)!) });
  return out;
}

/** The targets (and indexes) to paste into build.yaml; unconfirmed ones commented out. */
export function targetsYaml(version: string, answers: TargetAnswer[]): string {
  const lines = [
    `# build.yaml entries for SGLang ${version}, from the tags read on the registry (release:propose).`,
    `# Confirmed: read from the registry. UNCONFIRMED: the registry could not be asked; left commented`,
    `# out until \`docker buildx imagetools inspect <base>\` shows the tag. Absent tags are not listed.`,
    "releases:",
    `  "${version}":`,
    `    patchSet: patches/sglang-v${version}`,
    "targets:",
  ];
  for (const a of answers.filter((x) => x.state !== "absent")) {
    const c = a.state === "confirmed" ? "" : "# ";
    if (a.state !== "confirmed") lines.push(`  # UNCONFIRMED ${a.base}: ${a.why ?? ""}`.trimEnd());
    lines.push(`  ${c}${a.target}:`, `  ${c}  release: "${version}"`, `  ${c}  base: ${a.base}`, `  ${c}  baseDigest: unknown`, `  ${c}  platform: ${a.platform}`, `  ${c}  tags: [${a.target}]`);
  }
  const indexes = new Map<string, TargetAnswer[]>();
  for (const a of answers) if (a.index && a.state !== "absent") indexes.set(a.index, [...(indexes.get(a.index) ?? []), a]);
  if (indexes.size) {
    lines.push("indexes:");
    for (const [tag, members] of indexes) {
      const c = members.every((m) => m.state === "confirmed") ? "" : "# ";
      lines.push(`  ${c}${tag}: [${members.map((m) => m.target).join(", ")}]`);
    }
  }
  return `${lines.join("\n")}\n`;
}
