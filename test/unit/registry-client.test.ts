/** The registry's answer about a tag: URL and auth handshakes (the real registry is in push-failures.itest.ts). */
import { describe, expect, it } from "vitest";
import { readRegistryTag, registryBaseUrl, registryPath, type FetchLike } from "../../src/registry-client.js";
import { compressedBytesPushed, tagState } from "../../src/pipeline/push.js";

const manifest = { config: { digest: "sha256:cfg" }, layers: [{ digest: "sha256:l1", size: 10 }, { digest: "sha256:l2", size: 5 }] };

function fakeRegistry(handler: (url: string, headers: Record<string, string>) => Response): { fetch: FetchLike; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push(`${url} ${init.headers.Authorization ?? "-"}`);
      return handler(url, init.headers);
    },
  };
}

describe("readRegistryTag", () => {
  it("names Docker Hub's API host and library/ paths; loopback registries are plain HTTP", () => {
    expect(registryBaseUrl("docker.io")).toBe("https://registry-1.docker.io");
    expect(registryBaseUrl("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(registryBaseUrl("ghcr.io")).toBe("https://ghcr.io");
    expect(registryPath("ubuntu")).toBe("library/ubuntu");
    expect(registryPath("docker.io/me/x")).toBe("me/x");
    expect(registryPath("ghcr.io/o/x")).toBe("o/x");
  });

  it("follows a Bearer challenge with the push's credentials, and reads digest, config and layers", async () => {
    const reg = fakeRegistry((url, headers) => {
      if (url.startsWith("https://auth.example/token")) {
        expect(url).toBe("https://auth.example/token?service=reg&scope=repository%3Ao%2Fx%3Apull");
        return Response.json({ token: headers.Authorization === `Basic ${Buffer.from("u:p").toString("base64")}` ? "T" : "anon" });
      }
      if (headers.Authorization !== "Bearer T") {
        return new Response("", { status: 401, headers: { "www-authenticate": 'Bearer realm="https://auth.example/token",service="reg",scope="repository:o/x:pull"' } });
      }
      return new Response(JSON.stringify(manifest), { headers: { "docker-content-digest": "sha256:man" } });
    });
    const tag = await readRegistryTag("ghcr.io/o/x:v1", { auth: { username: "u", password: "p", serveraddress: "ghcr.io" }, fetch: reg.fetch });
    expect(tag).toEqual({ ref: "ghcr.io/o/x:v1", present: true, manifestDigest: "sha256:man", configDigest: "sha256:cfg", layers: manifest.layers });
    expect(reg.calls[0]).toBe("https://ghcr.io/v2/o/x/manifests/v1 -");
  });

  it("answers Basic challenges, reports a missing tag as absent, and computes the digest when the header is missing", async () => {
    const reg = fakeRegistry((url, headers) => {
      if (!headers.Authorization) return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
      return url.endsWith("/missing") ? new Response("", { status: 404 }) : new Response(JSON.stringify(manifest));
    });
    const auth = { username: "u", password: "p", serveraddress: "reg.example.com" };
    expect(await readRegistryTag("reg.example.com/x:missing", { auth, fetch: reg.fetch })).toEqual({ ref: "reg.example.com/x:missing", present: false });
    const found = await readRegistryTag("reg.example.com/x:v1", { auth, fetch: reg.fetch });
    expect(found.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await expect(readRegistryTag("reg.example.com/x:v1", { fetch: reg.fetch })).rejects.toThrow("the registry wants a login and no username/password is configured");
  });
});

describe("identity tokens on the reading paths", () => {
  // What `az acr login` and other OAuth2 logins store: no password, a refresh token.
  const auth = { identitytoken: "refresh-Secr3t", serveraddress: "acr.example.io" };
  const challenge = 'Bearer realm="https://acr.example.io/oauth2/token",service="acr.example.io",scope="repository:o/x:pull"';

  it("is exchanged at the realm by POST (grant_type=refresh_token), and the access token reads the tag", async () => {
    const posts: { method?: string; body?: string; type?: string }[] = [];
    const fetchImpl: FetchLike = async (url, init) => {
      if (url === "https://acr.example.io/oauth2/token") {
        posts.push({ method: init.method, body: init.body, type: init.headers["Content-Type"] });
        const form = new URLSearchParams(init.body);
        return form.get("refresh_token") === "refresh-Secr3t" ? Response.json({ access_token: "ACCESS" }) : new Response("", { status: 401 });
      }
      if (init.headers.Authorization !== "Bearer ACCESS") return new Response("", { status: 401, headers: { "www-authenticate": challenge } });
      return new Response(JSON.stringify(manifest), { headers: { "docker-content-digest": "sha256:man" } });
    };
    const tag = await readRegistryTag("acr.example.io/o/x:v1", { auth, fetch: fetchImpl });
    expect(tag.manifestDigest).toBe("sha256:man");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.method).toBe("POST");
    expect(posts[0]!.type).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(posts[0]!.body))).toEqual({
      grant_type: "refresh_token",
      refresh_token: "refresh-Secr3t",
      client_id: "sglang-image-patcher",
      service: "acr.example.io",
      scope: "repository:o/x:pull",
    });
  });

  it("a refused token is an error (never an anonymous read), and a Basic registry says an identity token cannot answer it", async () => {
    const refused: FetchLike = async (url) =>
      url.includes("oauth2") ? new Response("", { status: 401 }) : new Response("", { status: 401, headers: { "www-authenticate": challenge } });
    await expect(readRegistryTag("acr.example.io/o/x:v1", { auth, fetch: refused })).rejects.toThrow("the registry's token service refused the identity token (HTTP 401)");
    const basicOnly: FetchLike = async () => new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
    await expect(readRegistryTag("acr.example.io/o/x:v1", { auth, fetch: basicOnly })).rejects.toThrow(/only an identity token is configured/);
  });
});

describe("push accounting", () => {
  it("counts the compressed sizes of the uploaded layers only, matched by short diff id", () => {
    const image = { layers: [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`] };
    expect(compressedBytesPushed(["bbbbbbbbbbbb"], image, manifest.layers)).toBe(5);
    expect(compressedBytesPushed(["aaaaaaaaaaaa", "bbbbbbbbbbbb"], image, manifest.layers)).toBe(15);
    expect(compressedBytesPushed([], image, manifest.layers)).toBe(0);
    expect(compressedBytesPushed(["cccccccccccc"], image, manifest.layers)).toBeNull();
  });

  it("classifies what the registry's tag names against the image id", () => {
    expect(tagState("r", { ref: "r", present: true, configDigest: "sha256:cfg", manifestDigest: "sha256:m" }, "sha256:cfg")).toEqual({ ref: "r", state: "this-image", manifestDigest: "sha256:m" });
    expect(tagState("r", { ref: "r", present: true, configDigest: "sha256:other", manifestDigest: "sha256:m" }, "sha256:cfg").state).toBe("another-image");
    expect(tagState("r", { ref: "r", present: false }, "sha256:cfg").state).toBe("absent");
    expect(tagState("r", new Error("connect ECONNREFUSED"), "sha256:cfg")).toEqual({ ref: "r", state: "unknown", error: "connect ECONNREFUSED" });
  });
});
