/**
 * dist/ is committed (the CLI must start after `npm ci --omit=dev`, with no build tools), so it
 * must be exactly what src/ builds to: rebuilt in memory here and compared file by file.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { ROOT, buildDist, listDist } from "../../scripts/build-dist.mjs";

const ENTRY = "dist/sglang-image-patcher.js";

describe("the committed bundle", () => {
  it("is what src/ builds to today (run `npm run build` after changing src/)", async () => {
    const built = (await buildDist()) as Record<string, string>;
    expect(listDist()).toEqual(Object.keys(built).sort());
    for (const [rel, text] of Object.entries(built)) expect(readFileSync(path.join(ROOT, rel), "utf8"), rel).toBe(text);
  });

  it("is the package's bin: an executable node script", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.bin).toEqual({ "sglang-image-patcher": ENTRY });
    expect(readFileSync(path.join(ROOT, ENTRY), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(path.join(ROOT, ENTRY)).mode & 0o111).not.toBe(0);
    expect(pkg.scripts["build-image"]).toBe(`node ${ENTRY} build`);
    expect(pkg.scripts["verify-image"]).toBe(`node ${ENTRY} verify`);
  });

  it("loads dockerode without its BuildKit session and ssh transport, which stay reachable on first use", () => {
    const engine = listDist().find((f: string) => /^dist\/chunks\/engine-/.test(f));
    expect(engine).toBeDefined();
    const script = `
      import { createRequire } from "node:module";
      const m = await import(${JSON.stringify(path.join(ROOT, engine))});
      if (typeof m.DockerodeEngine !== "function") throw new Error("no DockerodeEngine");
      const require = createRequire(${JSON.stringify(path.join(ROOT, engine))});
      const loaded = Object.keys(require.cache).filter((k) => /[\\/](ssh2|@grpc|protobufjs)[\\/]/.test(k));
      const lazy = ["dockerode/lib/session.js", "docker-modem/lib/ssh.js"].map((s) => require.resolve(s));
      console.log(JSON.stringify({ loaded, lazy }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" })) as { loaded: string[]; lazy: string[] };
    expect(out.loaded).toEqual([]);
    expect(out.lazy).toHaveLength(2);
  });

  it("verifies a keyless Sigstore bundle from the bundle (the CommonJS Sigstore modules and the embedded trusted root load there too)", () => {
    const chunk = listDist().find((f: string) => readFileSync(path.join(ROOT, f), "utf8").includes("keyless signature verifies"));
    expect(chunk).toBeDefined();
    const script = `
      import { readFileSync } from "node:fs";
      const { verifyKeylessBundle } = await import(${JSON.stringify(path.join(ROOT, chunk))});
      const bundle = JSON.parse(readFileSync("test/fixtures/sigstore.js@2.0.0-provenance.sigstore.json", "utf8"));
      const issuer = "https://token.actions.githubusercontent.com";
      const good = await verifyKeylessBundle(bundle, { identity: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", issuer });
      const bad = await verifyKeylessBundle(bundle, { identity: "https://github.com/o/r/.github/workflows/x.yml@refs/heads/main", issuer });
      console.log(JSON.stringify([good.ok, bad.detail]));`;
    const [ok, detail] = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" })) as [boolean, string];
    expect(ok).toBe(true);
    expect(detail).toMatch(/^wrong signer identity: the certificate names https:\/\/github.com\/sigstore\/sigstore-js\//);
  });

  it("runs after `npm ci --omit=dev` (no tsx, no TypeScript, no esbuild)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-omit-dev-"));
    for (const f of ["package.json", "package-lock.json", ".npmrc", "dist", "dockerfiles", "verify", "patches", "build.yaml"]) {
      cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
    }
    // The checkout's own plan, taken right after the copy (the same inputs must pack the same context).
    const here = JSON.parse(execFileSync(process.execPath, [ENTRY, "build", "--dry-run"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as {
      targets: { context: { sha256: string } }[];
    };
    // From npm's cache: `npm ci` of this checkout already fetched every package.
    execFileSync("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "pipe" });
    expect(() => statSync(path.join(dir, "node_modules/tsx"))).toThrow();
    expect(() => statSync(path.join(dir, "node_modules/esbuild"))).toThrow();
    const out = execFileSync(process.execPath, [ENTRY, "build", "--dry-run"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const plan = JSON.parse(out) as { ok: boolean; targets: { target: string; context: { sha256: string } }[] };
    expect(plan.ok).toBe(true);
    expect(plan.targets.map((t) => t.target)).toEqual(["v0.5.9-cu129-amd64"]);
    expect(plan.targets[0]?.context.sha256).toBe(here.targets[0]?.context.sha256);
  }, 120_000);
});
