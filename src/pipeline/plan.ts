/**
 * Planning: config + command line -> what will be built, verified, tagged and pushed, per
 * target. Pure apart from reading the patch sets and packing the context, so `--dry-run`
 * prints exactly this without contacting the daemon, and unit tests cover every rule.
 */
import path from "node:path";
import type { BuildConfig, TargetConfig, VerifyMode, VerifySettings } from "../config/schema.js";
import { UserError } from "../errors.js";
import { buildPatchedImageContext, DOCKERFILE_NAME, type BuildContext } from "../build-context.js";
import { IMAGE_REF, classifyTagArgument } from "../image-ref.js";
import { imageLabels } from "../labels.js";
import { coversRelease, loadPatchSet, MANIFEST, type PatchSet } from "../patch-set.js";
import type { Provenance } from "../provenance.js";
import { publicVerifySettings } from "../verify/host-env.js";
import { checkPushDestinations, explainBadTag, refusedDestinationMessage } from "./tag-checks.js";

export interface CliOptions {
  targets: string[];
  /** --release: every target of these releases (added to --target's). */
  releases?: string[];
  /** --all: every target of the build file. */
  all?: boolean;
  base?: string;
  tags: string[];
  push?: boolean;
  skipVerify: boolean;
  pushUnverified: boolean;
  verifyMode?: VerifyMode;
  dryRun: boolean;
  /** Build without the Engine's build cache. */
  noCache?: boolean;
  /** --attest / --no-attest: attach the verify attestation to the pushed digests. */
  attest?: boolean;
  /** --sign-key: the attestation is signed (the key is read before the run starts). */
  signKey?: string;
  /** --force: a push may move a tag that names other content on the registry (never in the workflow). */
  force?: boolean;
}

export interface TargetPlan {
  target: string;
  /** The release (SGLang version) the target belongs to, when it names one. */
  release?: string;
  base: { ref: string; pinnedDigest?: string; platform?: string };
  patchSet: {
    name: string;
    dir: string;
    /** The release the series was written on (its upstream commit is that release's). */
    sglangVersion: string;
    /** Every release the series covers. */
    releases: string[];
    upstreamCommit: string;
    patches: { name: string; sha256: string }[];
  };
  /** The SGLang release this target builds (one of patchSet.releases): labels and verify name it. */
  sglangVersion: string;
  context: { sha256: string; bytes: number; entries: string[] };
  dockerfile: string;
  noCache: boolean;
  image: string;
  refs: string[];
  /** force: a tag already naming other content on the registry may be moved (--force). */
  push: { enabled: boolean; reason: string; force: boolean };
  /** After a push: the statement is always written; attached (push) with --attest / attest: true. */
  attest: { push: boolean; signed: boolean };
  /** Said on stderr before the run starts (and listed in --dry-run's plan). */
  warnings: string[];
  verify: { skipped: boolean; settings: VerifySettings };
  /** Labels known before the base is resolved (base.digest is added after). */
  labels: Record<string, string>;
}

export interface PlannedTarget {
  /** What is printed (dry run, the JSON result): env values hidden. */
  plan: TargetPlan;
  /** The verify settings the run uses, env values included; never printed. */
  verifySettings: VerifySettings;
  context: BuildContext;
  patchSet: PatchSet;
}

/** Splits `--tag` values: a bare tag goes under the target's image, a full ref stands alone. */
export function resolveRefs(target: TargetConfig, cliTags: string[]): string[] {
  if (cliTags.length === 0) return target.tags.map((t) => `${target.image}:${t}`);
  return cliTags.map((t) => {
    const ref = classifyTagArgument(t, target.image);
    if (!ref) throw new UserError(explainBadTag(t));
    return `${ref.repository}:${ref.tag}`;
  });
}

/** Refuses contradictory flags before any work starts. */
export function checkCliOptions(opts: CliOptions): void {
  if (opts.push === true && opts.skipVerify && !opts.pushUnverified) {
    throw new UserError("--push with --skip-verify would push an unverified image: add --push-unverified to mean it");
  }
  if (opts.pushUnverified && opts.push === false) throw new UserError("--push-unverified contradicts --no-push");
  if (opts.base !== undefined && !IMAGE_REF.test(opts.base)) throw new UserError(`--base ${JSON.stringify(opts.base)}: not an image reference`);
}

/**
 * The targets a run builds: --all, else --target's plus every target of each --release (in
 * file order), else the file's defaultTargets.
 */
export function selectTargets(config: BuildConfig, names: string[], select: { releases?: string[]; all?: boolean } = {}): TargetConfig[] {
  const releases = select.releases ?? [];
  if (select.all && (names.length > 0 || releases.length > 0)) throw new UserError("--all selects every target: leave out --target and --release");
  const unknownReleases = releases.filter((r) => !config.releases.has(r));
  if (unknownReleases.length > 0) {
    const known = [...config.releases.keys()];
    throw new UserError(
      `unknown release${unknownReleases.length > 1 ? "s" : ""} ${unknownReleases.map((r) => JSON.stringify(r)).join(", ")} in ${config.file}; ` +
        (known.length ? `known releases: ${known.join(", ")}` : "it declares no releases"),
    );
  }
  for (const r of releases) {
    if (config.releases.get(r)!.targets.length === 0) throw new UserError(`release ${r} in ${config.file} has no targets`);
  }
  const wanted = select.all
    ? [...config.targets.keys()]
    : names.length > 0 || releases.length > 0
      ? [...names, ...releases.flatMap((r) => config.releases.get(r)!.targets)]
      : config.defaultTargets;
  const unknown = wanted.filter((n) => !config.targets.has(n));
  if (unknown.length > 0) {
    throw new UserError(
      `unknown target${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")} in ${config.file}; ` +
        `known targets: ${[...config.targets.keys()].join(", ")}`,
    );
  }
  return [...new Set(wanted)].map((n) => config.targets.get(n) as TargetConfig);
}

export function decidePush(target: TargetConfig, opts: CliOptions, verifyMode: VerifyMode): { enabled: boolean; reason: string } {
  const wanted = opts.push ?? target.push;
  if (!wanted) return { enabled: false, reason: opts.push === false ? "--no-push" : `push: false in target ${target.name}` };
  if (opts.skipVerify && !opts.pushUnverified) {
    return { enabled: false, reason: "verify skipped (--skip-verify) and --push-unverified not given" };
  }
  if (!opts.skipVerify && verifyMode !== "gpu" && !opts.pushUnverified) {
    const why = verifyMode === "cpu" ? "runs the real engine on CPU with a scripted checkpoint, not the model on a GPU" : "does not verify the real engine";
    return { enabled: false, reason: `verify mode ${verifyMode} ${why}; an image is only pushed as verified after gpu verify (--push-unverified overrides)` };
  }
  return { enabled: true, reason: opts.skipVerify || verifyMode !== "gpu" ? "--push-unverified" : "verified images are pushed" };
}

export async function planTarget(
  config: BuildConfig,
  target: TargetConfig,
  opts: CliOptions,
  repoRoot: string,
  provenance: Provenance,
): Promise<PlannedTarget> {
  const patchSetDir = path.resolve(config.dir, target.patchSet);
  const patchSet = await loadPatchSet(patchSetDir);
  // The release the target builds: a series may cover several (patchset.yaml releases:), and
  // the labels, the in-image version check and verify all name this one, not the series' own.
  const release = target.sglangVersion ?? patchSet.sglangVersion;
  if (!coversRelease(patchSet, release)) {
    throw new UserError(
      `target ${target.name} ${target.release !== undefined ? `(release ${target.release}) ` : ""}expects SGLang ${release} ` +
        `but patch set ${patchSet.name} (${patchSetDir}) covers ${patchSet.releases.join(", ")}: ` +
        `add ${release} to its releases: in ${MANIFEST} once \`npm run patches:check -- ${release}\` passes, or point the release at its own series`,
    );
  }
  const context = await buildPatchedImageContext({ repoRoot, patchSet, release });
  const baseRef = opts.base ?? (target.baseDigest ? `${target.base}@${target.baseDigest}` : target.base);
  const verifySettings: VerifySettings = { ...target.verify, ...(opts.verifyMode ? { mode: opts.verifyMode } : {}) };
  const refs = resolveRefs(target, opts.tags);
  const push = { ...decidePush(target, opts, verifySettings.mode), force: Boolean(opts.force) };
  const warnings: string[] = [];
  if (push.enabled) {
    const destinations = checkPushDestinations(refs);
    if (destinations.refused.length > 0) throw new UserError(refusedDestinationMessage(destinations.refused));
    for (const ref of destinations.implicitHub) warnings.push(`${ref} names no registry: it is pushed to Docker Hub as docker.io/${ref}`);
  }
  if (target.baseDigestUnknown && opts.base === undefined) {
    warnings.push(`base ${target.base} is not pinned (baseDigest: unknown in ${path.basename(config.file)}): run npm run bases:update to read its ${target.platform ?? ""} digest from the registry`.replace("  ", " "));
  }
  if ((opts.attest ?? target.attest) && !push.enabled) warnings.push(`attest: nothing is pushed (${push.reason}), so no attestation is attached`);
  const plan: TargetPlan = {
    target: target.name,
    ...(target.release !== undefined ? { release: target.release } : {}),
    base: { ref: baseRef, pinnedDigest: opts.base ? undefined : target.baseDigest, platform: target.platform },
    patchSet: {
      name: patchSet.name,
      dir: patchSetDir,
      sglangVersion: patchSet.sglangVersion,
      releases: patchSet.releases,
      upstreamCommit: patchSet.upstream.commit,
      patches: patchSet.patches.map((p) => ({ name: p.name, sha256: p.sha256 })),
    },
    sglangVersion: release,
    context: { sha256: context.sha256, bytes: context.tar.length, entries: context.entries },
    dockerfile: DOCKERFILE_NAME,
    noCache: Boolean(opts.noCache),
    image: target.image,
    refs,
    push,
    attest: { push: opts.attest ?? target.attest, signed: opts.signKey !== undefined },
    warnings,
    verify: { skipped: opts.skipVerify, settings: publicVerifySettings(verifySettings) },
    labels: imageLabels(patchSet, baseRef, context.sha256, provenance, release),
  };
  return { plan, verifySettings, context, patchSet };
}
