/**
 * Which series covers which SGLang release: every patches/*\/patchset.yaml (its `releases:`,
 * default [sglangVersion]) and build.yaml's `releases:` (a release with image targets). Read as
 * plain YAML here rather than through the build's loaders, so a series the build would refuse
 * (a proposal's FILL-IN commit) still counts as covering its release.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { UserError } from "../errors.js";
import { compareText, parseVersion } from "./versions.js";

export interface Series {
  /** The folder, absolute. */
  dir: string;
  sglangVersion: string;
  /** Releases it applies to unchanged (patchset.yaml `releases:`, default [sglangVersion]). */
  releases: string[];
}

export interface Coverage {
  series: Series[];
  /** build.yaml `releases:` keys (releases with image targets). */
  built: string[];
}

export function readSeries(dir: string): Series {
  const file = join(dir, "patchset.yaml");
  const doc = parseYaml(readFileSync(file, "utf8")) as { sglangVersion?: unknown; releases?: unknown };
  const own = String(doc?.sglangVersion ?? "");
  if (!parseVersion(own)) throw new UserError(`${file}: sglangVersion ${JSON.stringify(doc?.sglangVersion)} is not a release version`);
  const listed = Array.isArray(doc.releases) ? doc.releases.map(String) : [own];
  return { dir: resolve(dir), sglangVersion: own, releases: listed.includes(own) ? listed : [own, ...listed] };
}

/** Every series under patchesDir (folders sglang-v*), plus any extra series folders given. */
export function readCoverage(root: string, extraSeries: string[] = []): Coverage {
  const patches = join(root, "patches");
  const dirs = existsSync(patches)
    ? readdirSync(patches, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.startsWith("sglang-v") && existsSync(join(patches, d.name, "patchset.yaml"))).map((d) => join(patches, d.name))
    : [];
  const series = [...dirs, ...extraSeries].map(readSeries);
  const buildFile = join(root, "build.yaml");
  const build = existsSync(buildFile) ? ((parseYaml(readFileSync(buildFile, "utf8")) ?? {}) as { releases?: Record<string, unknown> }) : {};
  return { series: series.sort((a, b) => compareText(a.sglangVersion, b.sglangVersion)), built: Object.keys(build.releases ?? {}) };
}

/** Only the series of releases up to `newest` (the replay's "pretend the newest is X"). */
export function coverageUpTo(c: Coverage, newest: string): Coverage {
  const keep = (v: string) => compareText(v, newest) <= 0;
  return { series: c.series.filter((s) => keep(s.sglangVersion)), built: c.built.filter(keep) };
}

export function supportedReleases(c: Coverage): string[] {
  const all = new Set([...c.built, ...c.series.flatMap((s) => s.releases)]);
  return [...all].sort(compareText);
}

/** The series a release is covered by (listed in its `releases:`), if any. */
export function coveringSeries(c: Coverage, version: string): Series | undefined {
  return c.series.find((s) => s.releases.includes(version));
}

/**
 * The series to port to `version`: the one of the nearest release at or below it (upstream
 * changes pile up, so the newest older series has the least to replay), else the oldest above.
 */
export function nearestSeries(c: Coverage, version: string): Series {
  if (c.series.length === 0) throw new UserError("no patch series to start from (patches/sglang-v*/patchset.yaml)");
  const below = c.series.filter((s) => compareText(s.sglangVersion, version) <= 0);
  return below.length ? below[below.length - 1]! : c.series[0]!;
}

export type ReleaseState = "built" | "covered" | "new" | "not-supported";

/**
 * What each PyPI release is to this project: `built` (build.yaml has targets for it), `covered`
 * (a series lists it, no targets yet), `new` (newer than every supported release: to propose),
 * `not-supported` (older than the newest supported one and no series: a gap, not proposed).
 */
export function classify(c: Coverage, releases: string[]): { version: string; state: ReleaseState; series?: string }[] {
  const supported = supportedReleases(c);
  const newest = supported[supported.length - 1];
  return releases.map((version) => {
    const covering = coveringSeries(c, version);
    if (c.built.includes(version)) return { version, state: "built" as const, ...(covering ? { series: covering.dir } : {}) };
    if (covering) return { version, state: "covered" as const, series: covering.dir };
    if (!newest || compareText(version, newest) > 0) return { version, state: "new" as const };
    return { version, state: "not-supported" as const };
  });
}
