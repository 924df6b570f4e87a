/**
 * dist/ is committed (the CLI must start after `npm ci --omit=dev`, with no build tools), so it
 * must be exactly what src/ builds to: rebuilt in memory here and compared file by file. That it
 * runs after `npm ci --omit=dev` is test/integration/npm-run.itest.ts (the unit tier runs no npm).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { NOTICES, ROOT, bundle, listDist } from "../../scripts/build-dist.mjs";

const ENTRY = "dist/sglang-image-patcher.js";
type Bundle = { files: Record<string, string>; metafile: { inputs: Record<string, unknown> } };
let built: Promise<Bundle> | undefined;
/** One in-memory build for the tests that compare with it. */
const rebuild = () => (built ??= bundle() as Promise<Bundle>);

describe("the committed bundle", () => {
  it("is what src/ builds to today (run `npm run build` after changing src/)", async () => {
    const { files } = await rebuild();
    expect(listDist()).toEqual(Object.keys(files).sort());
    for (const [rel, text] of Object.entries(files)) expect(readFileSync(path.join(ROOT, rel), "utf8"), rel).toBe(text);
  });

  it("ships the bundled packages' licences beside it: dist/THIRD-PARTY-NOTICES.txt, generated, naming every bundled package", async () => {
    const { files, metafile } = await rebuild();
    expect(existsSync(path.join(ROOT, NOTICES)), `${NOTICES} is missing: run \`npm run build\``).toBe(true);
    const committed = readFileSync(path.join(ROOT, NOTICES), "utf8");
    expect(committed, `${NOTICES} is not what the build writes today: run \`npm run build\``).toBe(files[NOTICES]);
    // The oracle: every bundled input file's package, found by walking up to the nearest
    // package.json that names a package (not the generator's node_modules path pattern).
    const packages = new Set<string>();
    for (const input of Object.keys(metafile.inputs)) {
      if (!/node_modules/.test(input)) continue;
      for (let dir = path.dirname(path.resolve(ROOT, input)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (!existsSync(file)) continue;
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name && pkg.version) { packages.add(`${pkg.name} ${pkg.version}`); break; }
      }
    }
    expect(packages.size).toBeGreaterThan(10);
    const listed = [...committed.matchAll(/^ {2}(\S+ \S+) \((\S+)\)$/gm)].map((m) => m[1]!);
    expect(new Set(listed)).toEqual(packages);
    for (const p of ["yaml", "dockerode", "tweetnacl", "@sigstore/verify"]) expect(listed.some((l) => l.startsWith(`${p} `)), p).toBe(true);
    // each package's section, with its licence file's text where the package ships one
    for (const p of listed) expect(committed).toContain(`\n${p}\nLicense: `);
    expect(committed).toContain("This is free and unencumbered software released into the public domain."); // tweetnacl's
    expect(committed).not.toMatch(/node_modules|\/work\/|\/home\/|chunks\//); // no paths, nothing that differs between checkouts
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
});
