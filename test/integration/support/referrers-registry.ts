/**
 * A registry WITH the OCI 1.1 referrers API (go-containerregistry's pkg/registry, see
 * referrers-registry/main.go), built once with `go build` into .cache/bin (about 3 s with the
 * module cache, 10-20 s without) and started on a free loopback port. Debian's registry 2.8 at
 * $TEST_REGISTRY has no referrers API, so it tests the tag fallback; this one tests the API.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, freePort, waitFor } from "./services.js";

const SOURCE = path.join(REPO_ROOT, "test/integration/support/referrers-registry");
const BINARY = path.join(REPO_ROOT, ".cache/bin/referrers-registry");

function goBinary(): string {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    try {
      execFileSync(candidate, ["version"], { stdio: "ignore" });
      return candidate;
    } catch {
      // try the next
    }
  }
  throw new Error("the referrers-API registry is built with Go, and no go toolchain was found (PATH or /usr/local/go/bin)");
}

function ensureBuilt(): void {
  const newest = Math.max(...["main.go", "go.mod", "go.sum"].map((f) => statSync(path.join(SOURCE, f)).mtimeMs));
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newest) return;
  execFileSync(goBinary(), ["build", "-o", BINARY, "."], { cwd: SOURCE, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, GOFLAGS: "-mod=readonly" } });
}

export interface ReferrersRegistry {
  address: string;
  stop(): Promise<void>;
}

export async function startReferrersRegistry(): Promise<ReferrersRegistry> {
  ensureBuilt();
  const port = await freePort();
  const child = spawn(BINARY, [String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const address = `127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`http://${address}/v2/`)).status === 200, 15_000, `referrers registry on ${address}`);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}; log:\n${log}`, { cause: e });
  }
  return {
    address,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
