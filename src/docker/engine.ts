/**
 * The ONLY module that talks to dockerode. Everything else depends on the narrow
 * `DockerEngine` interface, so unit tests pass a fake and integration tests the real daemon
 * (testcontainers-node's container-runtime split).
 */
import { PassThrough, type Readable } from "node:stream";
import Dockerode from "dockerode";
import { UserError, errorMessage } from "../errors.js";
import type { Mount } from "../mount.js";
import { followProgress, type ProgressEvent, type ProgressSummary } from "./progress.js";

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  labels: Record<string, string>;
  /** Layer diff ids, base first. */
  layers: string[];
  size: number;
  architecture: string;
  os: string;
}

export interface DaemonInfo {
  serverVersion: string;
  runtimes: string[];
  defaultRuntime: string;
  architecture: string;
}

export interface BuildOptions {
  dockerfile: string;
  /** Tag given to the built image (a temporary, per-run name; the pipeline tags it later). */
  tag: string;
  buildargs: Record<string, string>;
  labels: Record<string, string>;
  platform?: string;
  noCache?: boolean;
}

export interface OneShotSpec {
  image: string;
  name: string;
  cmd: string[];
  env: Record<string, string>;
  mounts: Mount[];
  labels: Record<string, string>;
  /** Ask for GPUs ("all" or a count) through HostConfig.DeviceRequests. */
  gpus?: "all" | number;
  /** Container path copied out (tar) with getArchive after the command exits. */
  copyOut?: string;
  timeoutMs: number;
}

export interface OneShotResult {
  exitCode: number;
  timedOut: boolean;
  /** The tar of `copyOut`, or undefined when the path did not exist. */
  copied?: Buffer;
}

export type OnEvent = (event: ProgressEvent) => void;

export interface DockerEngine {
  /** Where the daemon is (for messages). */
  readonly endpoint: string;
  ping(): Promise<void>;
  info(): Promise<DaemonInfo>;
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  pullImage(ref: string, opts: { platform?: string; auth?: RegistryAuth }, onEvent: OnEvent, signal?: AbortSignal): Promise<ProgressSummary>;
  buildImage(context: Buffer, opts: BuildOptions, onEvent: OnEvent, signal?: AbortSignal): Promise<ProgressSummary>;
  tagImage(source: string, repo: string, tag: string): Promise<void>;
  pushImage(repo: string, tag: string, auth: RegistryAuth | undefined, onEvent: OnEvent, signal?: AbortSignal): Promise<ProgressSummary>;
  removeImage(ref: string): Promise<void>;
  /** Runs a command to completion in a fresh container, streaming its output; the container
   *  is removed whatever happens (exit, error, timeout, abort). */
  runOneShot(spec: OneShotSpec, onOutput: (text: string) => void, signal?: AbortSignal): Promise<OneShotResult>;
}

function statusCode(e: unknown): number | undefined {
  return typeof e === "object" && e !== null && "statusCode" in e && typeof e.statusCode === "number" ? e.statusCode : undefined;
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

export class DockerodeEngine implements DockerEngine {
  readonly endpoint: string;

  constructor(private readonly docker: Dockerode = new Dockerode()) {
    // docker-modem 5 resolves the default socket lazily (socketPath may be a function).
    const modem = (docker as unknown as { modem: { socketPath?: unknown; host?: string; port?: string | number } }).modem;
    if (typeof modem.socketPath === "string") this.endpoint = `unix://${modem.socketPath}`;
    else if (modem.host) this.endpoint = `${modem.host}:${modem.port}`;
    else this.endpoint = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new UserError(
        `the Docker daemon is unreachable at ${this.endpoint} (${errorMessage(e)}). ` +
          "Start Docker (e.g. `sudo systemctl start docker`) or point DOCKER_HOST at a running daemon.",
        3,
      );
    }
  }

  async info(): Promise<DaemonInfo> {
    const info = (await this.docker.info()) as {
      ServerVersion: string;
      Runtimes?: Record<string, unknown>;
      DefaultRuntime?: string;
      Architecture: string;
    };
    return {
      serverVersion: info.ServerVersion,
      runtimes: Object.keys(info.Runtimes ?? {}),
      defaultRuntime: info.DefaultRuntime ?? "runc",
      architecture: info.Architecture,
    };
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    try {
      const i = await this.docker.getImage(ref).inspect();
      return {
        id: i.Id,
        repoTags: i.RepoTags ?? [],
        repoDigests: i.RepoDigests ?? [],
        labels: i.Config?.Labels ?? {},
        layers: i.RootFS?.Layers ?? [],
        size: i.Size,
        architecture: i.Architecture,
        os: i.Os,
      };
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  async pullImage(ref: string, opts: { platform?: string; auth?: RegistryAuth }, onEvent: OnEvent, signal?: AbortSignal): Promise<ProgressSummary> {
    const stream = (await this.docker.pull(ref, {
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(opts.auth ? { authconfig: opts.auth } : {}),
      abortSignal: signal,
    })) as Readable;
    return followProgress(stream, onEvent, signal);
  }

  async buildImage(context: Buffer, opts: BuildOptions, onEvent: OnEvent, signal?: AbortSignal): Promise<ProgressSummary> {
    const stream = (await this.docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      dockerfile: opts.dockerfile,
      t: opts.tag,
      buildargs: opts.buildargs,
      labels: opts.labels,
      // forcerm: intermediate containers are removed even when a step fails, so a failed
      // build leaves no container behind.
      rm: true,
      forcerm: true,
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(opts.noCache ? { nocache: true } : {}),
      abortSignal: signal,
    } as Dockerode.ImageBuildOptions)) as Readable;
    // The classic builder names each RUN step's container ("---> Running in <id>"). When the
    // build is cancelled (Ctrl-C closes the request) the daemon removes that container on its
    // own, later; we wait for it, and remove it ourselves if it lingers, so nothing is left.
    const stepContainers: string[] = [];
    const watch = (ev: Parameters<OnEvent>[0]) => {
      const m = ev.stream?.match(/---> Running in ([0-9a-f]{12,64})/);
      if (m?.[1]) stepContainers.push(m[1]);
      onEvent(ev);
    };
    try {
      return await followProgress(stream, watch, signal);
    } catch (e) {
      // The build's own failure stays the error. A step container that cannot be removed (the
      // daemon went away mid-build) is named in it, with the command that removes it later.
      const stuck: string[] = [];
      await Promise.all(stepContainers.map((id) => this.removeWhenDone(id).catch(() => void stuck.push(id.slice(0, 12)))));
      if (stuck.length > 0 && e instanceof Error) {
        e.message += `; the build step container ${stuck.join(", ")} could not be removed (the daemon did not answer): once it does, docker rm -f ${stuck.join(" ")}`;
      }
      throw e;
    }
  }

  /** Waits up to `graceMs` for the daemon to remove a build step's container, then forces it. */
  private async removeWhenDone(id: string, graceMs = 10_000): Promise<void> {
    const container = this.docker.getContainer(id);
    const end = Date.now() + graceMs;
    while (Date.now() < end) {
      try {
        await container.inspect();
      } catch (e) {
        if (statusCode(e) === 404) return;
        throw e;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await container.remove({ force: true }).catch((e: unknown) => {
      if (statusCode(e) !== 404) throw e;
    });
  }

  async tagImage(source: string, repo: string, tag: string): Promise<void> {
    await this.docker.getImage(source).tag({ repo, tag });
  }

  async pushImage(repo: string, tag: string, auth: RegistryAuth | undefined, onEvent: OnEvent, signal?: AbortSignal): Promise<ProgressSummary> {
    const image = this.docker.getImage(repo);
    // The Engine refuses a push without an X-Registry-Auth header on some versions; an empty
    // auth object means "anonymous".
    const stream = (await image.push({ tag, abortSignal: signal, authconfig: auth ?? {} } as Parameters<Dockerode.Image["push"]>[0])) as Readable;
    return followProgress(stream, onEvent, signal);
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.docker.getImage(ref).remove({ force: false, noprune: false });
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
    }
  }

  async runOneShot(spec: OneShotSpec, onOutput: (text: string) => void, signal?: AbortSignal): Promise<OneShotResult> {
    const deviceRequests =
      spec.gpus === undefined ? undefined : [{ Driver: "nvidia", Count: spec.gpus === "all" ? -1 : spec.gpus, Capabilities: [["gpu"]] }];
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd,
      Entrypoint: [],
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      Tty: false,
      HostConfig: {
        // Structured mounts, not `src:dst:ro` Binds strings: a path holding ":" or "," was split
        // or misread there, and a missing source became an empty root-owned folder instead of
        // an error.
        Mounts: spec.mounts.map((m) => ({ Type: "bind" as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
        ...(deviceRequests ? { DeviceRequests: deviceRequests } : {}),
        // The engine's shared-memory needs (NCCL, torch dataloaders) exceed Docker's 64 MB default.
        ShmSize: 2 * 1024 * 1024 * 1024,
        Init: true,
      },
    });
    let firstError: unknown;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = () => container.kill().catch(() => {});
    const onAbort = () => void kill();
    try {
      const logs = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
      const out = new PassThrough();
      out.on("data", (c: Buffer) => onOutput(c.toString()));
      // The log stream ends with the container; its errors must not crash the process.
      logs.on("error", () => {});
      this.docker.modem.demuxStream(logs, out, out);
      // next-exit: waiting on a created (not yet running) container would return at once.
      const waited = container.wait({ condition: "next-exit" });
      // If start fails, nobody awaits `waited`; its later rejection must not go unhandled.
      waited.catch(() => {});
      await container.start();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) void kill();
      timer = setTimeout(() => {
        timedOut = true;
        void kill();
      }, spec.timeoutMs);
      const status = (await waited) as { StatusCode: number };
      clearTimeout(timer);
      if (signal?.aborted) throw signal.reason ?? new Error("aborted");
      let copied: Buffer | undefined;
      if (spec.copyOut && !timedOut) {
        try {
          copied = await readAll((await container.getArchive({ path: spec.copyOut })) as Readable);
        } catch (e) {
          if (statusCode(e) !== 404) throw e;
        }
      }
      return { exitCode: status.StatusCode, timedOut, copied };
    } catch (e) {
      firstError = e;
      throw e;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      try {
        await container.remove({ force: true, v: true });
      } catch (e) {
        // Never hide the first error; a 404 means it is already gone.
        // eslint-disable-next-line no-unsafe-finally -- a failed removal is the error only when nothing failed before it
        if (statusCode(e) !== 404 && firstError === undefined) throw e;
      }
    }
  }
}
