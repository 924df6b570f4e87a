/**
 * A second, throw-away registry that requires a login (htpasswd), on a free 127.0.0.1 port:
 * the real `docker-registry serve` with a real bcrypt htpasswd file from apache2-utils.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitFor } from "./services.js";

export interface AuthRegistry {
  address: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

export async function startAuthRegistry(): Promise<AuthRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-auth-registry-"));
  const username = "builder";
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const htpasswd = execFileSync("htpasswd", ["-Bbn", username, password], { encoding: "utf8" });
  writeFileSync(path.join(dir, "htpasswd"), htpasswd);
  const port = await freePort();
  const config = `version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: ${dir}/data } }
http: { addr: 127.0.0.1:${port} }
auth: { htpasswd: { realm: sglang-image-patcher-test, path: ${dir}/htpasswd } }
`;
  writeFileSync(path.join(dir, "config.yml"), config);
  const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (c: Buffer) => (log += c.toString()));
  const address = `127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`http://${address}/v2/`)).status === 401, 15_000, `auth registry on ${address}`);
  } catch (e) {
    child.kill();
    throw new Error(`${(e as Error).message}; registry log:\n${log}`, { cause: e });
  }
  return {
    address,
    username,
    password,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
