/**
 * A second, throw-away Docker daemon for faults the shared one must not see: its own data-root,
 * exec-root, socket and pidfile under a temp folder, stopped and removed at the end. Its
 * containers use a bridge of its own (created here, deleted at the end) and it leaves iptables
 * alone. NOT `--bridge none`: a daemon started with it deletes the host's `docker0` interface
 * (moby's removeDefaultBridgeInterface), which is the shared daemon's bridge.
 *
 * `gpuHook: true` puts a NO-OP `nvidia-container-runtime-hook` on the daemon's PATH. That is a
 * TEST RIG, never installed by the product: Docker 20.10 registers its "nvidia" device driver
 * (what `--gpus` / HostConfig.DeviceRequests select) when that hook is on PATH at start-up, and
 * runs it as an OCI prestart hook for each container that asks for GPUs. The no-op hook lets
 * such a container start, with no GPU in it, so the GPU verify path runs end to end on a
 * machine without one; it must then not be reported as a GPU verification.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import Dockerode from "dockerode";
import { waitFor } from "./services.js";

export interface RigDaemon {
  /** DOCKER_HOST value for it. */
  host: string;
  docker: Dockerode;
  /** SIGKILL: the daemon dies in the middle of whatever it is doing. */
  kill(): void;
  log(): string;
  stop(): Promise<void>;
}

// TEST RIG: a no-op stand-in for the NVIDIA Container Toolkit's prestart hook (a script of its
// own, so shellcheck reads it).
const NOOP_HOOK = path.join(import.meta.dirname, "noop-nvidia-container-runtime-hook.sh");

export async function startRigDaemon(opts: { gpuHook?: boolean } = {}): Promise<RigDaemon> {
  // Short: the exec-root holds unix sockets, whose paths are limited to 108 bytes.
  const dir = mkdtempSync("/tmp/sip-d-");
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  if (opts.gpuHook) {
    copyFileSync(NOOP_HOOK, path.join(bin, "nvidia-container-runtime-hook"));
    chmodSync(path.join(bin, "nvidia-container-runtime-hook"), 0o755);
  }
  const socket = path.join(dir, "d.sock");
  const bridge = `sipbr${randomBytes(3).toString("hex")}`;
  execFileSync("ip", ["link", "add", bridge, "type", "bridge"]);
  execFileSync("ip", ["addr", "add", `10.199.${randomBytes(1)[0]}.1/24`, "dev", bridge]);
  execFileSync("ip", ["link", "set", bridge, "up"]);
  const docker = new Dockerode({ socketPath: socket });
  let log = "";
  let child: ChildProcess;
  let exited: Promise<void>;
  const spawnDaemon = async () => {
    child = spawn(
      "dockerd",
      [
        "--data-root", path.join(dir, "data"), "--exec-root", path.join(dir, "x"), "--pidfile", path.join(dir, "d.pid"),
        "-H", `unix://${socket}`, "--bridge", bridge, "--iptables=false", "--ip-masq=false",
      ],
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}` }, stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr?.on("data", (c: Buffer) => {
      log = (log + c.toString()).slice(-20_000);
    });
    const self = child;
    exited = new Promise<void>((resolve) => self.once("exit", () => resolve()));
    await waitFor(async () => (await docker.ping(), true), 60_000, `the rig dockerd on ${socket}`);
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  // Each part is undone whatever happened before it: a daemon that died leaves its containerd,
  // shims and mounts behind, and the bridge must go in any case.
  const stop = async () => {
    if (running()) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (running()) child.kill("SIGKILL");
      await exited;
    }
    const ours = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    };
    try {
      const pids = execFileSync("pgrep", ["-f", dir], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
      for (const pid of pids.filter(ours)) process.kill(pid, "SIGKILL");
    } catch {
      // pgrep found nothing.
    }
    const mounts = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.sort().reverse()) spawnSync("umount", ["-l", m]);
    spawnSync("ip", ["link", "del", bridge]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spawnDaemon();
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; its log:\n${log.slice(-3000)}`, { cause: e });
  }
  return {
    host: `unix://${socket}`,
    docker,
    kill: () => child.kill("SIGKILL"),
    log: () => log,
    stop,
  };
}
