/** verify-image's command line: one IMAGE, overrides checked before any work. */
import { describe, expect, it } from "vitest";
import { parseVerifyImageArgs } from "../../src/cli/verify-image-args.js";

const ID = `sha256:${"a".repeat(64)}`;

describe("verify-image arguments", () => {
  it("reads IMAGE and the overrides", () => {
    expect(parseVerifyImageArgs(["ghcr.io/o/img:t", "--config", "b.yaml", "--target", "t1", "--verify-mode", "cpu", "--model", "/m", "--timeout", "60"])).toEqual({
      image: "ghcr.io/o/img:t", config: "b.yaml", target: "t1", verifyMode: "cpu", model: "/m", timeoutSeconds: 60, attestation: false, insecureIgnoreSignature: false, help: false,
    });
    expect(parseVerifyImageArgs([ID])).toMatchObject({ image: ID, config: "build.yaml", verifyMode: undefined, timeoutSeconds: undefined });
    expect(parseVerifyImageArgs([`ghcr.io/o/img@sha256:${"b".repeat(64)}`]).image).toBe(`ghcr.io/o/img@sha256:${"b".repeat(64)}`);
  });

  it("--help needs no IMAGE", () => {
    const help = parseVerifyImageArgs(["--help"]);
    expect(help.help).toBe(true);
    expect(help.image).toBeUndefined();
    expect(parseVerifyImageArgs(["-h", "x", "y"]).help).toBe(true);
  });

  it.each([
    [[], /exactly one IMAGE to verify, got 0/],
    [["a/b", "c/d"], /exactly one IMAGE to verify, got 2/],
    [["Not An Image"], /"Not An Image" is not an image reference/],
    [["a/b", "--verify-mode", "tpu"], /--verify-mode: expected one of gpu, engineless, cpu, got "tpu"/],
    [["a/b", "--timeout", "1.5"], /--timeout: expected whole seconds, got "1.5"/],
    [["a/b", "--timeout", "0"], /--timeout: expected whole seconds, got "0"/],
    [["a/b", "--timeout", "10s"], /--timeout: expected whole seconds/],
    [["a/b", "--model", " "], /--model: expected a model id or path/],
    [["a/b", "--colour"], /Unknown option '--colour'[\s\S]*--help/],
    [["a/b", "--insecure-ignore-signature"], /--insecure-ignore-signature is for --attestation/],
    [["a/b", "--attestation", "--insecure-ignore-signature", "--public-key", "k.pub"], /contradicts --public-key/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseVerifyImageArgs(argv as string[])).toThrow(message);
  });
});
