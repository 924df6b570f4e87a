/** Image references: parsing, registry hosts, repository identity and the base digest rule. */
import { describe, expect, it } from "vitest";
import {
  canonicalRepository, classifyTagArgument, parseImageRef, registryDigestOf, registryHost, repositoryAndTag, sameRepository,
} from "../../src/image-ref.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

describe("image references", () => {
  it.each([
    ["lmsysorg/sglang:v0.5.9-cu129-amd64", { repository: "lmsysorg/sglang", tag: "v0.5.9-cu129-amd64" }],
    ["127.0.0.1:5000/a/b", { repository: "127.0.0.1:5000/a/b" }],
    ["127.0.0.1:5000/a/b:t", { repository: "127.0.0.1:5000/a/b", tag: "t" }],
    [`ghcr.io/o/r:t@${D1}`, { repository: "ghcr.io/o/r", tag: "t", digest: D1 }],
    [`ubuntu@${D1}`, { repository: "ubuntu", digest: D1 }],
  ])("parses %s", (ref, want) => {
    expect(parseImageRef(ref)).toEqual(want);
  });

  it.each(["Upper", "a/b:", "a/b@sha256:abc", "", "a//b", `${D1}`])("refuses %j", (ref) => {
    expect(parseImageRef(ref)).toBeUndefined();
  });

  it("finds the registry host of a repository", () => {
    expect(registryHost("127.0.0.1:5000/a/b")).toBe("127.0.0.1:5000");
    expect(registryHost("ghcr.io/o/r")).toBe("ghcr.io");
    expect(registryHost("lmsysorg/sglang")).toBe("docker.io");
    expect(registryHost("ubuntu")).toBe("docker.io");
    expect(registryHost("localhost/x")).toBe("localhost");
  });

  it("compares repositories the way Docker Hub names them", () => {
    expect(canonicalRepository("ubuntu")).toBe("docker.io/library/ubuntu");
    expect(sameRepository("ubuntu", "docker.io/library/ubuntu")).toBe(true);
    expect(sameRepository("lmsysorg/sglang", "docker.io/lmsysorg/sglang")).toBe(true);
    expect(sameRepository("lmsysorg/sglang", "lmsysorg/sglang-other")).toBe(false);
    expect(sameRepository("ghcr.io/o/r", "o/r")).toBe(false);
  });

  it("reads --tag values: a bare tag under the image, a full repo:tag alone, nothing else", () => {
    expect(classifyTagArgument("v1", "ghcr.io/o/img")).toEqual({ repository: "ghcr.io/o/img", tag: "v1" });
    expect(classifyTagArgument("127.0.0.1:5000/x/y:t", "ghcr.io/o/img")).toEqual({ repository: "127.0.0.1:5000/x/y", tag: "t" });
    expect(classifyTagArgument("127.0.0.1:5000/x/y", "ghcr.io/o/img")).toBeUndefined();
    expect(classifyTagArgument(`x/y:t@${D1}`, "ghcr.io/o/img")).toBeUndefined();
    expect(repositoryAndTag("127.0.0.1:5000/x/y")).toEqual({ repository: "127.0.0.1:5000/x/y", tag: "latest" });
  });
});

describe("the base digest", () => {
  it("is the digest recorded for the reference's own repository", () => {
    expect(registryDigestOf(parseImageRef("lmsysorg/sglang:v1")!, [`other/repo@${D2}`, `lmsysorg/sglang@${D1}`])).toBe(D1);
    expect(registryDigestOf(parseImageRef("docker.io/library/ubuntu:24.04")!, [`ubuntu@${D1}`])).toBe(D1);
  });

  it("never another repository's digest, never anything for a local-only image", () => {
    expect(registryDigestOf(parseImageRef("lmsysorg/sglang:v1")!, [`lmsysorg/sglang-fork@${D1}`])).toBeUndefined();
    expect(registryDigestOf(parseImageRef("local/base:1")!, [])).toBeUndefined();
  });

  it("a reference by digest yields that digest only when the image really has it", () => {
    expect(registryDigestOf(parseImageRef(`a/b@${D1}`)!, [`a/b@${D2}`, `a/b@${D1}`])).toBe(D1);
    expect(registryDigestOf(parseImageRef(`a/b:t@${D1}`)!, [`a/b@${D2}`])).toBeUndefined();
  });
});
