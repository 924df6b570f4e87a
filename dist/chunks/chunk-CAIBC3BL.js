import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  DOCKER_HUB,
  registryHost
} from "./chunk-F7NKY5RN.js";
import {
  UserError,
  errnoCode,
  errorMessage
} from "./chunk-2IM7SQKB.js";

// src/docker/registry-auth.ts
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
var ENV_USERNAME = "SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME";
var ENV_PASSWORD = "SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD";
var ENV_DOCKER_AUTH_CONFIG = "DOCKER_AUTH_CONFIG";
var DOCKER_HUB_ADDRESS = "https://index.docker.io/v1/";
function hostOfKey(key) {
  const stripped = key.replace(/^[a-z]+:\/\//, "");
  const host = stripped.split("/")[0] ?? "";
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DOCKER_HUB : host;
}
function fromAuthsEntry(auths, host, serveraddress, where) {
  const key = Object.keys(auths ?? {}).find((k) => hostOfKey(k) === host);
  if (key === void 0) return void 0;
  const entry = auths?.[key];
  const malformed = (why) => new UserError(`the auths entry "${key}" in ${where} ${why}; run \`docker login ${serveraddress}\` again or fix the entry`);
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw malformed("is not an object");
  const e = entry;
  for (const field of ["auth", "username", "password", "identitytoken"])
    if (e[field] !== void 0 && typeof e[field] !== "string") throw malformed(`has a non-string "${field}"`);
  const { auth, username, password, identitytoken } = e;
  if (identitytoken) return { identitytoken, serveraddress };
  if (auth) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(auth.trim())) throw malformed("has an auth that is not base64");
    const decoded = Buffer.from(auth.trim(), "base64").toString("utf8");
    const sep = decoded.indexOf(":");
    if (sep <= 0) throw malformed('has an auth that does not decode to "username:password"');
    return { username: decoded.slice(0, sep), password: decoded.slice(sep + 1), serveraddress };
  }
  if (username && password) return { username, password, serveraddress };
  if (username || password) throw malformed(username ? "has a username without a password" : "has a password without a username");
  return void 0;
}
var NOT_FOUND = /credentials not found/i;
function runHelper(helper, server, env) {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ["get"], { timeout: 1e4, env }, (err, stdout, stderr) => {
      if (err) {
        const said = `${stdout}
${stderr}`.trim();
        if (NOT_FOUND.test(said)) return resolve(void 0);
        const why = errnoCode(err) === "ENOENT" ? "it is not on PATH" : `it failed: ${said.split("\n")[0] || err.message}`;
        return reject(new UserError(`the Docker config file names the credential helper ${program} for ${server}, but ${why}. Install it, or remove it from the config file.`));
      }
      try {
        const creds = JSON.parse(stdout);
        if (typeof creds.Username !== "string" || typeof creds.Secret !== "string") throw new Error("no Username/Secret");
        resolve({ Username: creds.Username, Secret: creds.Secret });
      } catch {
        reject(new UserError(`the credential helper ${program} answered something that is not a credential for ${server}`));
      }
    });
    child.stdin?.end(server);
  });
}
function parseAuthConfigEnv(text) {
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed;
  } catch {
    throw new UserError(`${ENV_DOCKER_AUTH_CONFIG} is set but is not a JSON object like {"auths": {"host": {"auth": "..."}}}`);
  }
}
async function resolveRegistryAuth(repository, env = process.env) {
  const host = registryHost(repository);
  const serveraddress = host === DOCKER_HUB ? DOCKER_HUB_ADDRESS : host;
  const user = env[ENV_USERNAME];
  const password = env[ENV_PASSWORD];
  if (user !== void 0 || password !== void 0) {
    if (!user || !password) throw new UserError(`set both ${ENV_USERNAME} and ${ENV_PASSWORD}, or neither`);
    return { auth: { username: user, password, serveraddress }, source: `the environment variables ${ENV_USERNAME}/${ENV_PASSWORD}` };
  }
  const envConfig = env[ENV_DOCKER_AUTH_CONFIG];
  if (envConfig !== void 0 && envConfig.trim() !== "") {
    const auth2 = fromAuthsEntry(parseAuthConfigEnv(envConfig).auths, host, serveraddress, `the environment variable ${ENV_DOCKER_AUTH_CONFIG}`);
    if (auth2) return { auth: auth2, source: `the environment variable ${ENV_DOCKER_AUTH_CONFIG}` };
  }
  const configPath = path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), ".docker"), "config.json");
  let config;
  try {
    config = JSON.parse(await readFile(configPath, "utf8"));
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return void 0;
    throw new UserError(`cannot read the Docker config file ${configPath}: ${errorMessage(e)}`, 2, { cause: e });
  }
  const helper = config.credHelpers?.[host] ?? (config.credsStore || void 0);
  if (helper) {
    const creds = await runHelper(helper, serveraddress, env);
    if (!creds) return void 0;
    const source = `the credential helper docker-credential-${helper} (${configPath})`;
    return creds.Username === "<token>" ? { auth: { identitytoken: creds.Secret, serveraddress }, source } : { auth: { username: creds.Username, password: creds.Secret, serveraddress }, source };
  }
  const auth = fromAuthsEntry(config.auths, host, serveraddress, `the Docker config file ${configPath}`);
  return auth ? { auth, source: `the Docker config file ${configPath}` } : void 0;
}

export {
  ENV_USERNAME,
  ENV_PASSWORD,
  resolveRegistryAuth
};
