/**
 * Registry credentials, looked up like the docker CLI: our variables, DOCKER_AUTH_CONFIG, then
 * the config file where a configured credential helper (a real program on PATH, here a small
 * shell script) is used exclusively.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveRegistryAuth } from "../../src/docker/registry-auth.js";

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));
const b64 = (s: string) => Buffer.from(s).toString("base64");

function dockerConfig(json: unknown): string {
  const dir = tmp("sip-dockercfg-");
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(json));
  return dir;
}

/** A docker-credential-NAME program on a fresh PATH entry; it records the server it was asked for. */
function fakeHelper(name: string, script: string): { path: string; asked: () => string } {
  const dir = tmp("sip-credhelper-");
  const log = path.join(dir, "asked");
  writeFileSync(log, "");
  const file = path.join(dir, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = get ] || exit 9\ncat >> ${log}\n${script}\n`);
  chmodSync(file, 0o755);
  return { path: `${dir}:${process.env.PATH}`, asked: () => readFileSync(log, "utf8") };
}

const OK = `echo '{"ServerURL":"x","Username":"helper-user","Secret":"helper-secret"}'`;

describe("registry credentials", () => {
  it("reads auths from the Docker config file and names the file as the source", async () => {
    const dir = dockerConfig({ auths: { "ghcr.io": { auth: b64("me:tok:en") } } });
    expect(await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir })).toEqual({
      auth: { username: "me", password: "tok:en", serveraddress: "ghcr.io" },
      source: `the Docker config file ${dir}/config.json`,
    });
    expect(await resolveRegistryAuth("quay.io/o/r", { DOCKER_CONFIG: dir })).toBeUndefined();
  });

  it("matches auths keys written with a scheme or a path, and Docker Hub's v1 address", async () => {
    const dir = dockerConfig({
      auths: { "https://index.docker.io/v1/": { auth: b64("hub:pw") }, "https://reg.example.com/v2/": { auth: b64("r:pw") } },
    });
    expect((await resolveRegistryAuth("me/img", { DOCKER_CONFIG: dir }))?.auth).toEqual({ username: "hub", password: "pw", serveraddress: "https://index.docker.io/v1/" });
    expect((await resolveRegistryAuth("reg.example.com/a/b", { DOCKER_CONFIG: dir }))?.auth).toMatchObject({ username: "r" });
  });

  it("our environment variables come first and are named as the source", async () => {
    const dir = dockerConfig({ auths: { "https://index.docker.io/v1/": { auth: b64("hub:pw") } } });
    const r = await resolveRegistryAuth("me/img", { DOCKER_CONFIG: dir, SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME: "u", SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD: "p" });
    expect(r).toEqual({
      auth: { username: "u", password: "p", serveraddress: "https://index.docker.io/v1/" },
      source: "the environment variables SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME/SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD",
    });
    await expect(resolveRegistryAuth("me/img", { SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME: "u" })).rejects.toThrow(/set both/);
  });

  it("no config file means anonymous", async () => {
    expect(await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: "/nonexistent" })).toBeUndefined();
  });

  it("a credential helper for the host is used exclusively: a stale auths entry does not win", async () => {
    const helper = fakeHelper("fake", OK);
    const dir = dockerConfig({ auths: { "ghcr.io": { auth: b64("stale:old") } }, credHelpers: { "ghcr.io": "fake" } });
    const r = await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir, PATH: helper.path });
    expect(r?.auth).toEqual({ username: "helper-user", password: "helper-secret", serveraddress: "ghcr.io" });
    expect(r?.source).toBe(`the credential helper docker-credential-fake (${dir}/config.json)`);
    expect(helper.asked()).toBe("ghcr.io");
  });

  it("credsStore applies to every host without a credHelpers entry; credHelpers wins for its host", async () => {
    const store = fakeHelper("store", OK);
    const special = fakeHelper("special", `echo '{"Username":"<token>","Secret":"id-token"}'`);
    const PATH = `${special.path.split(":")[0]}:${store.path}`;
    const dir = dockerConfig({ auths: { "https://index.docker.io/v1/": { auth: b64("stale:old") } }, credsStore: "store", credHelpers: { "quay.io": "special" } });
    expect((await resolveRegistryAuth("me/img", { DOCKER_CONFIG: dir, PATH }))?.auth).toEqual({
      username: "helper-user", password: "helper-secret", serveraddress: "https://index.docker.io/v1/",
    });
    expect(store.asked()).toBe("https://index.docker.io/v1/");
    expect((await resolveRegistryAuth("quay.io/o/r", { DOCKER_CONFIG: dir, PATH }))?.auth).toEqual({ identitytoken: "id-token", serveraddress: "quay.io" });
  });

  it("a helper with nothing stored for the host means anonymous, as with the docker CLI", async () => {
    const helper = fakeHelper("empty", `echo "credentials not found in native keychain"; exit 1`);
    const dir = dockerConfig({ auths: { "ghcr.io": { auth: b64("stale:old") } }, credsStore: "empty" });
    expect(await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir, PATH: helper.path })).toBeUndefined();
  });

  it("a configured helper that is missing or fails is an error naming it, never a silent anonymous push", async () => {
    const dir = dockerConfig({ credHelpers: { "ghcr.io": "absent" } });
    await expect(resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir, PATH: tmp("sip-empty-path-") })).rejects.toThrow(
      /credential helper docker-credential-absent for ghcr\.io, but it is not on PATH/,
    );
    const broken = fakeHelper("broken", `echo "keychain locked" >&2; exit 1`);
    const dir2 = dockerConfig({ credsStore: "broken" });
    await expect(resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir2, PATH: broken.path })).rejects.toThrow(/docker-credential-broken .* it failed: keychain locked/);
  });

  it("DOCKER_AUTH_CONFIG is read before the config file, for the hosts it has", async () => {
    const dir = dockerConfig({ auths: { "ghcr.io": { auth: b64("file:pw") }, "quay.io": { auth: b64("fileq:pw") } } });
    const DOCKER_AUTH_CONFIG = JSON.stringify({ auths: { "ghcr.io": { auth: b64("envuser:envpw") } } });
    const r = await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir, DOCKER_AUTH_CONFIG });
    expect(r).toEqual({ auth: { username: "envuser", password: "envpw", serveraddress: "ghcr.io" }, source: "the environment variable DOCKER_AUTH_CONFIG" });
    expect((await resolveRegistryAuth("quay.io/o/r", { DOCKER_CONFIG: dir, DOCKER_AUTH_CONFIG }))?.auth).toMatchObject({ username: "fileq" });
    const err = await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir, DOCKER_AUTH_CONFIG: '{"auths": secret-stuff' }).catch((e: Error) => e);
    expect(String(err)).toMatch(/DOCKER_AUTH_CONFIG is set but is not a JSON object/);
    expect(String(err)).not.toContain("secret-stuff");
  });

  it.each([
    ["an auth that does not decode to user:password", { auth: b64("no-colon-Secr3t") }, /does not decode to "username:password"/],
    ["an auth that is not base64", { auth: "not base64! Secr3t" }, /has an auth that is not base64/],
    ["a username without a password", { username: "u-Secr3t" }, /has a username without a password/],
    ["a non-string field", { auth: 42 }, /has a non-string "auth"/],
    ["an entry that is not an object", "Secr3t", /is not an object/],
  ])("a malformed entry (%s) is an error naming it, not an anonymous fallthrough", async (_what, entry, message) => {
    const dir = dockerConfig({ auths: { "https://ghcr.io": entry } });
    const err = await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dir }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(message);
    expect(String(err)).toContain(`the auths entry "https://ghcr.io" in the Docker config file ${path.join(dir, "config.json")}`);
    expect(String(err)).not.toContain("Secr3t");
    const fromEnv = await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: tmp("sip-empty-"), DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { "ghcr.io": entry } }) }).catch((e: Error) => e);
    expect(String(fromEnv)).toMatch(/the auths entry "ghcr.io" in the environment variable DOCKER_AUTH_CONFIG/);
  });

  it("an empty entry ({}) is no credentials, as with the docker CLI", async () => {
    expect(await resolveRegistryAuth("ghcr.io/o/r", { DOCKER_CONFIG: dockerConfig({ auths: { "ghcr.io": {} } }) })).toBeUndefined();
  });
});
