/**
 * Registry credentials for a push: from the environment (SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME
 * / _PASSWORD, for CI) or from the Docker config file ($DOCKER_CONFIG/config.json or
 * ~/.docker/config.json: `auths` entries and credential helpers). Credentials are only ever
 * handed to the daemon in the X-Registry-Auth header: never logged, never in a build context.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors.js";
import type { RegistryAuth } from "./engine.js";

export const ENV_USERNAME = "SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME";
export const ENV_PASSWORD = "SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD";

/** Registry host of a repository name (Docker Hub when the first part is not a host). */
export function registryHost(repository: string): string {
  const first = repository.split("/")[0] ?? "";
  if (repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return first;
  return "docker.io";
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

function hostKeys(host: string): string[] {
  if (host === "docker.io") return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

function runHelper(helper: string, host: string): Promise<{ Username: string; Secret: string } | undefined> {
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ["get"], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        resolve(JSON.parse(stdout) as { Username: string; Secret: string });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(host);
  });
}

export async function resolveRegistryAuth(
  repository: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryAuth | undefined> {
  const host = registryHost(repository);
  const serveraddress = host === "docker.io" ? "https://index.docker.io/v1/" : host;
  const user = env[ENV_USERNAME];
  const password = env[ENV_PASSWORD];
  if (user !== undefined || password !== undefined) {
    if (!user || !password) throw new UserError(`set both ${ENV_USERNAME} and ${ENV_PASSWORD}, or neither`);
    return { username: user, password, serveraddress };
  }
  const configPath = path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json");
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(configPath, "utf8")) as DockerConfigFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UserError(`cannot read the Docker config file ${configPath}: ${(e as Error).message}`);
  }
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  for (const key of hostKeys(host)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const sep = decoded.indexOf(":");
      if (sep > 0) return { username: decoded.slice(0, sep), password: decoded.slice(sep + 1), serveraddress };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress };
  }
  if (helper) {
    for (const key of hostKeys(host)) {
      const creds = await runHelper(helper, key);
      if (creds) {
        return creds.Username === "<token>"
          ? { identitytoken: creds.Secret, serveraddress }
          : { username: creds.Username, password: creds.Secret, serveraddress };
      }
    }
  }
  return undefined;
}
