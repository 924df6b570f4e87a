/** The pipeline's attestation after a push (fake engine): the statement always, the attach only when asked, and a failed attach leaves the push as it is. */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AttestFailedError } from "../../src/attest/attest-step.js";
import { envelopeVerifies, keyHint } from "../../src/attest/sign.js";
import { parseConfigText } from "../../src/config/load.js";
import { StepError } from "../../src/errors.js";
import { memoryLogger } from "../../src/log.js";
import { planTarget } from "../../src/pipeline/plan.js";
import { TargetFailedError, runTarget } from "../../src/pipeline/run.js";
import { BUILT_ID, FakeEngine } from "./fake-engine.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const BASE = "example/base:1";
const DIGEST = `sha256:${"d".repeat(64)}`;

async function run(image: string, attest: boolean, signed = false) {
  const cfg = parseConfigText(
    `targets:\n  t:\n    base: "${BASE}"\n    patchSet: test/fixtures/patchsets/fixture-v0.5.9\n    image: ${image}\n    tags: [one, two]\n    attest: ${attest}\n`,
    path.join(REPO_ROOT, "build.yaml"),
    REPO_ROOT,
  );
  const planned = await planTarget(cfg, cfg.targets.get("t")!, { targets: [], tags: [], skipVerify: true, pushUnverified: true, dryRun: false }, REPO_ROOT, { source: "s", revision: "r".repeat(40), created: "2026-01-01T00:00:00.000Z" });
  const engine = new FakeEngine(BASE);
  const readRegistryTags = async (refs: readonly string[]) =>
    new Map(refs.map((ref) => [ref, { ref, present: true, manifestDigest: DIGEST, configDigest: BUILT_ID }]));
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-attest-"));
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signingKey = signed ? { privateKey: pair.privateKey, publicKey: pair.publicKey, hint: keyHint(pair.publicKey) } : undefined;
  const deps = {
    engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: REPO_ROOT, env: {}, readRegistryTags,
    attest: { dir, builderVersion: "9.9.9", ...(signingKey ? { signingKey } : {}) },
  };
  return { engine, dir, publicKey: pair.publicKey, promise: runTarget(planned, deps) };
}

describe("attestation after a push", () => {
  it("writes the statement (unsigned, said so) and puts it in the result, attaching nothing without attest", async () => {
    const { promise, dir } = await run("reg.example.com/o/img", false);
    const r = await promise;
    expect(r.status).toBe("pushed");
    const a = r.attestation!;
    expect(a).toMatchObject({ signed: false, signature: expect.stringMatching(/^unsigned: give --sign-key/), pushed: [], statementFile: path.join(dir, "t.intoto.json") });
    expect(a.statement.subject).toEqual([{ name: "reg.example.com/o/img", digest: { sha256: "d".repeat(64) } }]);
    expect(a.statement.predicate.verify).toMatchObject({ mode: "gpu", outcome: "skipped", gpuVerified: false });
    expect(a.statement.predicate.builder).toEqual({ name: "sglang-image-patcher", version: "9.9.9", revision: "r".repeat(40), source: "s" });
    expect(a.statement.predicate.patchSet.patches.map((p) => p.name)).toEqual(["0001-add-return-token-ids-field.patch", "0002-add-marker-constant.patch"]);
    expect(JSON.parse(readFileSync(a.statementFile, "utf8"))).toEqual(a.statement);
    expect(r.timings.attestMs).toBeGreaterThanOrEqual(0);
  });

  it("with a key, the bundle file holds a DSSE envelope of the same statement", async () => {
    const { promise, publicKey } = await run("reg.example.com/o/img", false, true);
    const a = (await promise).attestation!;
    expect(a.signed).toBe(true);
    const bundle = JSON.parse(readFileSync(a.bundleFile!, "utf8"));
    expect(envelopeVerifies(bundle.dsseEnvelope, publicKey)).toBe(true);
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString())).toEqual(a.statement);
  });

  it("a failed attach is an attest error: the images stay pushed and tagged, the statement file is kept", async () => {
    // Nothing listens on port 9 of the loopback: the attach's first request is refused.
    const { promise, engine } = await run("127.0.0.1:9/o/img", true);
    const err = await promise.catch((e: unknown) => e);
    // The target's error carries its result; its cause is the attest step's own (typed) error.
    if (!(err instanceof TargetFailedError)) throw new Error(`not a TargetFailedError: ${String(err)}`);
    expect(err.cause).toBeInstanceOf(StepError);
    expect(err.cause).toBeInstanceOf(AttestFailedError);
    expect(err.code).toBe("TARGET_FAILED");
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/^attest: attaching the attestation to 127\.0\.0\.1:9\/o\/img@sha256:d{64} failed: /);
    expect(err.result).toMatchObject({ status: "pushed", error: { step: "attest" }, image: { refs: ["127.0.0.1:9/o/img:one", "127.0.0.1:9/o/img:two"] } });
    expect(err.result.tagsReverted).toBeUndefined();
    expect(engine.pushed).toEqual(["127.0.0.1:9/o/img:one", "127.0.0.1:9/o/img:two"]);
    expect(readFileSync(err.result.attestation!.statementFile, "utf8")).toContain('"predicateType"');
  });
});
