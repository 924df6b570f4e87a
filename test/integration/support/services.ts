/**
 * What the integration tests need from the machine: the Docker Engine, the registry at
 * $TEST_REGISTRY (default 127.0.0.1:5000), and ways to run the real CLI and read the registry
 * over its HTTP API. Under CI=true a missing service FAILS the run; elsewhere the suites skip
 * with the reason printed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import tarStream from "tar-stream";
import { DockerodeEngine } from "../../../src/docker/engine.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const TEST_REGISTRY = process.env.TEST_REGISTRY ?? "127.0.0.1:5000";
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";
/** How the tests start the command line: node, then these paths (relative to the repository). */
export const CLI_ENTRY = ["node_modules/tsx/dist/cli.mjs", "src/cli/sglang-image-patcher.ts"];

export async function servicesProblem(): Promise<string | undefined> {
  try {
    await new DockerodeEngine().ping();
  } catch (e) {
    return `Docker Engine: ${(e as Error).message}`;
  }
  try {
    const res = await fetch(`http://${TEST_REGISTRY}/v2/`);
    if (res.status !== 200 && res.status !== 401) return `registry at ${TEST_REGISTRY} answered ${res.status}`;
  } catch (e) {
    return `registry at ${TEST_REGISTRY} unreachable: ${(e as Error).message}`;
  }
  return undefined;
}

/** Call at module level: returns true when the suite must be skipped (never under CI). */
export async function mustSkip(): Promise<boolean> {
  const problem = await servicesProblem();
  if (!problem) return false;
  if (IN_CI) throw new Error(`CI=true but a service the integration tests need is missing: ${problem}`);
  console.warn(`skipping integration tests: ${problem}`);
  return true;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: Record<string, any>;
}

const running = new Set<ChildProcess>();

/** Interrupts CLIs a failed or timed-out test left running (they then clean up after themselves). */
export async function stopRunningClis(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("close", () => resolve());
          child.kill("SIGINT");
        }),
    ),
  );
}

/** The command each CLI source module implements, run through the command line entry point. */
const COMMANDS: Record<string, string> = { "src/cli/build-image.ts": "build", "src/cli/verify-image.ts": "verify", "src/cli/index-image.ts": "index", "src/cli/bases-update.ts": "bases" };

export function startCli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliRun>; stderrSoFar: () => string } {
  const command = COMMANDS[script];
  if (!command) throw new Error(`startCli: no command for ${script}`);
  const child = spawn(process.execPath, [...CLI_ENTRY.map((p) => path.join(REPO_ROOT, p)), command, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  running.add(child);
  const done = new Promise<CliRun>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child);
      let json: Record<string, any>;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = { unparsable: stdout };
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
  return { child, done, stderrSoFar: () => stderr };
}

export function runBuildImage(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return startCli("src/cli/build-image.ts", args, env).done;
}

/** Writes a build file into a fresh temp folder; returns its path. */
export function writeConfig(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-itest-"));
  const file = path.join(dir, "build.yaml");
  writeFileSync(file, yaml);
  return file;
}

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

export interface RegistryManifest {
  config: { digest: string; size: number };
  layers: { digest: string; size: number; mediaType: string }[];
}

export async function registryManifest(registry: string, repo: string, reference: string): Promise<RegistryManifest | undefined> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${reference}`, { headers: { Accept: MANIFEST_TYPES } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`registry manifest ${repo}:${reference}: HTTP ${res.status}`);
  return (await res.json()) as RegistryManifest;
}

export async function registryTags(registry: string, repo: string): Promise<string[]> {
  const res = await fetch(`http://${registry}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

/** The files of a (gzipped) layer blob: name -> content (directories map to null). */
export async function layerFiles(registry: string, repo: string, digest: string): Promise<Map<string, Buffer | null>> {
  const res = await fetch(`http://${registry}/v2/${repo}/blobs/${digest}`);
  if (!res.ok) throw new Error(`blob ${digest}: HTTP ${res.status}`);
  const tar = gunzipSync(Buffer.from(await res.arrayBuffer()));
  const files = new Map<string, Buffer | null>();
  const extract = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c) => chunks.push(c as Buffer));
      stream.on("end", () => {
        files.set(header.name.replace(/\/$/, ""), header.type === "directory" ? null : Buffer.concat(chunks));
        next();
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(tar);
  await done;
  return files;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Verify containers (label role=verify) that carry `marker` ("NAME=value") in their
 * environment. Each test file puts its own marker into the containers it starts, so another
 * run on the same daemon (a second test run, a developer's build) is never mistaken for a
 * leftover of this one.
 */
export function verifyContainers(marker: string): string[] {
  const ids = execFileSync("docker", ["ps", "-aq", "--filter", "label=io.github.sglang-image-patcher.role=verify"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  return ids.filter((id) => {
    try {
      return execFileSync("docker", ["inspect", "--format", "{{json .Config.Env}}", id], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
        .includes(`"${marker}"`);
    } catch {
      return false; // removed between ps and inspect
    }
  });
}

/**
 * The classic builder's step containers a build run named in its output ("---> Running in
 * <id>") that still exist: scoped to that one run, unlike a daemon-wide `ancestor=` filter.
 */
export function leftoverStepContainers(buildOutput: string): string[] {
  const ids = [...buildOutput.matchAll(/---> Running in ([0-9a-f]{12,64})/g)].map((m) => m[1]!);
  return ids.filter((id) => execFileSync("docker", ["ps", "-aq", "--filter", `id=${id}`], { encoding: "utf8" }).trim() !== "");
}

/** Per-run build tags (sglang-image-patcher-build/<target>:<run>) of one target name. */
export function perRunBuildTags(target: string): string[] {
  const repo = `sglang-image-patcher-build/${target.toLowerCase().replace(/[^a-z0-9._-]/g, "-")}`;
  return execFileSync("docker", ["images", repo, "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" }).split("\n").filter(Boolean);
}
