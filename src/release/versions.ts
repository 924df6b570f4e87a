/**
 * SGLang release versions as PyPI lists them (PEP 440, the subset SGLang uses): `0.5.9`,
 * `0.5.10.post1`, `0.5.13rc0`, `0.4.0.dev1`. Ordered as pip orders them: dev < pre < final < post.
 * Anything else (a local version, epochs) is refused rather than guessed at.
 */
export interface Version {
  text: string;
  release: number[];
  /** a / b / rc with its number; absent for a final or post release. */
  pre?: { kind: "a" | "b" | "rc"; n: number };
  post?: number;
  dev?: number;
}

const PATTERN = /^v?(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|alpha|beta|c)\.?(\d+)?)?(?:[.-]?post\.?(\d+))?(?:[.-]?dev\.?(\d+))?$/i;

export function parseVersion(text: string): Version | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  const kind = m[2]?.toLowerCase();
  const pre = kind ? { kind: (kind === "alpha" ? "a" : kind === "beta" ? "b" : kind === "c" ? "rc" : kind) as "a" | "b" | "rc", n: Number(m[3] ?? 0) } : undefined;
  return {
    text: text.trim().replace(/^v/, ""),
    release: m[1]!.split(".").map(Number),
    ...(pre ? { pre } : {}),
    ...(m[4] !== undefined ? { post: Number(m[4]) } : {}),
    ...(m[5] !== undefined ? { dev: Number(m[5]) } : {}),
  };
}

/** A pre-release or development release: never proposed (RL frameworks pin finals). */
export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

export function compareVersions(a: Version, b: Version): number {
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d) return Math.sign(d);
  }
  // dev of a final < pre < final < post; a dev of a pre or post sorts just before it.
  const stage = (v: Version) => (v.pre ? [1, PRE_RANK[v.pre.kind], v.pre.n] : v.post === undefined && v.dev !== undefined ? [0, 0, 0] : [2, 0, 0]);
  const [sa, sb] = [stage(a), stage(b)];
  for (let i = 0; i < 3; i++) if (sa[i] !== sb[i]) return Math.sign(sa[i]! - sb[i]!);
  const post = (a.post ?? -1) - (b.post ?? -1);
  if (post) return Math.sign(post);
  return Math.sign((a.dev ?? Infinity) - (b.dev ?? Infinity)) || 0;
}

/** Sorts version strings (oldest first); unparseable ones are left out. */
export function sortVersions(texts: Iterable<string>): string[] {
  return [...texts]
    .map((t) => parseVersion(t))
    .filter((v): v is Version => v !== undefined)
    .sort(compareVersions)
    .map((v) => v.text);
}

export function compareText(a: string, b: string): number {
  const [va, vb] = [parseVersion(a), parseVersion(b)];
  if (!va || !vb) throw new Error(`not a release version: ${!va ? a : b}`);
  return compareVersions(va, vb);
}
