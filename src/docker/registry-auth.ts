/**
 * Registry credentials for a pull or push, looked up the way the docker CLI does, after our own
 * pair of environment variables:
 *
 *  1. SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME / _PASSWORD (for CI; both or neither);
 *  2. DOCKER_AUTH_CONFIG, a JSON document shaped like config.json (its `auths` only), which
 *     the docker CLI reads before the config file;
 *  3. the Docker config file ($DOCKER_CONFIG/config.json or ~/.docker/config.json): a credential
 *     helper configured for the host (`credHelpers[host]`, else `credsStore`) is used
 *     EXCLUSIVELY, like the docker CLI: a stale `auths` entry never wins over it, and a helper
 *     that is missing or fails is an error naming it, not a silent anonymous push;
 *     without a helper, the `auths` entry for the host.
 *
 * The result names where the credentials came from (for the log), never what they are.
 * Credentials are only ever handed to the daemon in the X-Registry-Auth header: never logged,
 * never in a build context.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UserError, errnoCode, errorMessage } from "../errors.js";
import { DOCKER_HUB, registryHost } from "../image-ref.js";
import type { RegistryAuth } from "./engine.js";

export const ENV_USERNAME = "SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME";
export const ENV_PASSWORD = "SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD";
export const ENV_DOCKER_AUTH_CONFIG = "DOCKER_AUTH_CONFIG";

/** The server address Docker Hub's credentials are stored under. */
const DOCKER_HUB_ADDRESS = "https://index.docker.io/v1/";

export interface RegistryCredentials {
  auth: RegistryAuth;
  /** Where they came from, for the log: safe to print. */
  source: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The keys `docker login` may have stored a host under (with scheme, with /v1/ etc.). */
function hostOfKey(key: string): string {
  const stripped = key.replace(/^[a-z]+:\/\//, "");
  const host = stripped.split("/")[0] ?? "";
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DOCKER_HUB : host;
}

/**
 * The credentials of the `auths` entry for `host`, undefined when there is no entry or an empty
 * one (`{}`, which the docker CLI also reads as "no credentials"). An entry that is there but
 * unusable (an `auth` that is not base64 of "user:password", a username without a password,
 * not an object) is an error naming the entry and where it is, never its content: before, it
 * fell through to an anonymous pull or push, and the daemon's "denied" did not say why.
 */
function fromAuthsEntry(auths: Record<string, AuthEntry> | undefined, host: string, serveraddress: string, where: string): RegistryAuth | undefined {
  const key = Object.keys(auths ?? {}).find((k) => hostOfKey(k) === host);
  if (key === undefined) return undefined;
  const entry = auths?.[key] as unknown;
  const malformed = (why: string) => new UserError(`the auths entry "${key}" in ${where} ${why}; run \`docker login ${serveraddress}\` again or fix the entry`);
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw malformed("is not an object");
  const e = entry as Record<string, unknown>;
  for (const field of ["auth", "username", "password", "identitytoken"] as const)
    if (e[field] !== undefined && typeof e[field] !== "string") throw malformed(`has a non-string "${field}"`);
  const { auth, username, password, identitytoken } = e as AuthEntry;
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
  return undefined;
}

/** The credential helpers' own "nothing stored for this server" answer (docker-credential-helpers). */
const NOT_FOUND = /credentials not found/i;

function runHelper(helper: string, server: string, env: NodeJS.ProcessEnv): Promise<{ Username: string; Secret: string } | undefined> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ["get"], { timeout: 10_000, env }, (err, stdout, stderr) => {
      if (err) {
        const said = `${stdout}\n${stderr}`.trim();
        if (NOT_FOUND.test(said)) return resolve(undefined);
        const why = errnoCode(err) === "ENOENT" ? "it is not on PATH" : `it failed: ${said.split("\n")[0] || err.message}`;
        return reject(new UserError(`the Docker config file names the credential helper ${program} for ${server}, but ${why}. Install it, or remove it from the config file.`));
      }
      try {
        const creds = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
        if (typeof creds.Username !== "string" || typeof creds.Secret !== "string") throw new Error("no Username/Secret");
        resolve({ Username: creds.Username, Secret: creds.Secret });
      } catch {
        reject(new UserError(`the credential helper ${program} answered something that is not a credential for ${server}`));
      }
    });
    child.stdin?.end(server);
  });
}

function parseAuthConfigEnv(text: string): DockerConfigFile {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as DockerConfigFile;
  } catch {
    // The value holds secrets: name the variable, never echo it.
    throw new UserError(`${ENV_DOCKER_AUTH_CONFIG} is set but is not a JSON object like {"auths": {"host": {"auth": "..."}}}`);
  }
}

export async function resolveRegistryAuth(repository: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryCredentials | undefined> {
  const host = registryHost(repository);
  const serveraddress = host === DOCKER_HUB ? DOCKER_HUB_ADDRESS : host;
  const user = env[ENV_USERNAME];
  const password = env[ENV_PASSWORD];
  if (user !== undefined || password !== undefined) {
    if (!user || !password) throw new UserError(`set both ${ENV_USERNAME} and ${ENV_PASSWORD}, or neither`);
    return { auth: { username: user, password, serveraddress }, source: `the environment variables ${ENV_USERNAME}/${ENV_PASSWORD}` };
  }
  const envConfig = env[ENV_DOCKER_AUTH_CONFIG];
  if (envConfig !== undefined && envConfig.trim() !== "") {
    const auth = fromAuthsEntry(parseAuthConfigEnv(envConfig).auths, host, serveraddress, `the environment variable ${ENV_DOCKER_AUTH_CONFIG}`);
    if (auth) return { auth, source: `the environment variable ${ENV_DOCKER_AUTH_CONFIG}` };
  }
  const configPath = path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), ".docker"), "config.json");
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(configPath, "utf8")) as DockerConfigFile;
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return undefined;
    throw new UserError(`cannot read the Docker config file ${configPath}: ${errorMessage(e)}`, 2, { cause: e });
  }
  const helper = config.credHelpers?.[host] ?? (config.credsStore || undefined);
  if (helper) {
    const creds = await runHelper(helper, serveraddress, env);
    if (!creds) return undefined;
    const source = `the credential helper docker-credential-${helper} (${configPath})`;
    return creds.Username === "<token>"
      ? { auth: { identitytoken: creds.Secret, serveraddress }, source }
      : { auth: { username: creds.Username, password: creds.Secret, serveraddress }, source };
  }
  const auth = fromAuthsEntry(config.auths, host, serveraddress, `the Docker config file ${configPath}`);
  return auth ? { auth, source: `the Docker config file ${configPath}` } : undefined;
}
