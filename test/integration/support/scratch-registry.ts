/**
 * A throw-away plain registry (the real `docker-registry serve`) on a free 127.0.0.1 port with
 * its own empty storage: every push to it uploads every layer, and it can be killed mid-push.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitFor } from "./services.js";

export interface ScratchRegistry {
  address: string;
  /** SIGKILL: the registry dies as a crashed or unplugged one would. */
  kill(): void;
  stop(): Promise<void>;
}

export async function startScratchRegistry(): Promise<ScratchRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-scratch-registry-"));
  const port = await freePort();
  writeFileSync(
    path.join(dir, "config.yml"),
    `version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: ${dir}/data } }\nhttp: { addr: 127.0.0.1:${port} }\n`,
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-10_000)));
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitFor(async () => (await fetch(`http://${address}/v2/`)).status === 200, 15_000, `scratch registry on ${address}`);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}; registry log:\n${log}`, { cause: e });
  }
  return {
    address,
    kill: () => child.kill("SIGKILL"),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
