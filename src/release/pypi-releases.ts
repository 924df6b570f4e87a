/**
 * The releases of `sglang` on PyPI, from its JSON API (https://pypi.org/pypi/sglang/json) with
 * Node's fetch. A release counts only when it has files and not every one of them is yanked
 * (PEP 592: a yanked release is for pins that already name it, never for a new one). Pre- and
 * development releases are listed apart and never proposed.
 */
import { UserError, errorMessage } from "../errors.js";
import { isPrerelease, parseVersion, sortVersions } from "./versions.js";

export const PYPI_JSON_URL = "https://pypi.org/pypi/sglang/json";

export interface PypiFile {
  filename?: string;
  yanked?: boolean;
  yanked_reason?: string | null;
  upload_time_iso_8601?: string;
}

export interface PypiAnswer {
  info?: { version?: string };
  releases?: Record<string, PypiFile[]>;
}

export interface PypiReleases {
  /** Final releases one can pin, oldest first. */
  releases: string[];
  yanked: { version: string; reason?: string }[];
  prereleases: string[];
  /** Keys PyPI lists with no files at all (a release being uploaded, or one deleted). */
  empty: string[];
  /** Keys that are not PEP 440 versions. */
  unparsed: string[];
  /** Per release, when its first file was uploaded (for the table). */
  uploaded: Record<string, string>;
}

/** PyPI could not be asked or answered with something that is not its JSON API. */
export class PypiUnreachableError extends UserError<"PYPI_UNREACHABLE"> {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, 1, { ...options, code: "PYPI_UNREACHABLE" });
    this.name = "PypiUnreachableError";
  }
}

export function parsePypiAnswer(answer: PypiAnswer): PypiReleases {
  if (!answer || typeof answer !== "object" || !answer.releases || typeof answer.releases !== "object") {
    throw new PypiUnreachableError("PyPI's answer has no `releases` object (not the JSON API's shape)");
  }
  const out: PypiReleases = { releases: [], yanked: [], prereleases: [], empty: [], unparsed: [], uploaded: {} };
  for (const [key, files] of Object.entries(answer.releases)) {
    const v = parseVersion(key);
    if (!v) {
      out.unparsed.push(key);
      continue;
    }
    if (!Array.isArray(files) || files.length === 0) {
      out.empty.push(key);
      continue;
    }
    const times = files.map((f) => f.upload_time_iso_8601).filter((t): t is string => typeof t === "string").sort();
    if (times[0]) out.uploaded[key] = times[0];
    if (files.every((f) => f.yanked === true)) {
      const reason = files.find((f) => f.yanked_reason)?.yanked_reason ?? undefined;
      out.yanked.push({ version: key, ...(reason ? { reason } : {}) });
    } else if (isPrerelease(v)) {
      out.prereleases.push(key);
    } else {
      out.releases.push(key);
    }
  }
  out.releases = sortVersions(out.releases);
  out.prereleases = sortVersions(out.prereleases);
  return out;
}

export type FetchJson = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

/** Fetches and parses; any network failure or non-JSON answer is a PypiUnreachableError. */
export async function fetchPypiReleases(url = PYPI_JSON_URL, fetchImpl: FetchJson = fetch as FetchJson, timeoutMs = 30_000): Promise<PypiReleases> {
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: { Accept: "application/json", "User-Agent": "sglang-image-patcher release-watch" }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    // fetch's TypeError says only "fetch failed"; its cause says why (ENOTFOUND, ECONNREFUSED...).
    throw new PypiUnreachableError(`PyPI could not be reached at ${url}: ${errorMessage((e instanceof Error ? e.cause : undefined) ?? e)}`, { cause: e });
  }
  if (!res.ok) throw new PypiUnreachableError(`PyPI answered HTTP ${res.status} for ${url}`);
  let body: PypiAnswer;
  try {
    body = (await res.json()) as PypiAnswer;
  } catch (e) {
    throw new PypiUnreachableError(`PyPI's answer for ${url} is not JSON: ${errorMessage(e)}`, { cause: e });
  }
  return parsePypiAnswer(body);
}
