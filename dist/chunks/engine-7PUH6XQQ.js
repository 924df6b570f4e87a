import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  followProgress
} from "./chunk-LRJ6VPQL.js";
import {
  UserError,
  errorMessage
} from "./chunk-BKJ4SD3D.js";

// src/docker/engine.ts
import { PassThrough } from "node:stream";
import Dockerode from "dockerode";
function statusCode(e) {
  return e.statusCode;
}
function readAll(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}
var DockerodeEngine = class {
  constructor(docker = new Dockerode()) {
    this.docker = docker;
    const modem = docker.modem;
    if (typeof modem.socketPath === "string") this.endpoint = `unix://${modem.socketPath}`;
    else if (modem.host) this.endpoint = `${modem.host}:${modem.port}`;
    else this.endpoint = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  }
  docker;
  endpoint;
  async ping() {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new UserError(
        `the Docker daemon is unreachable at ${this.endpoint} (${errorMessage(e)}). Start Docker (e.g. \`sudo systemctl start docker\`) or point DOCKER_HOST at a running daemon.`,
        3
      );
    }
  }
  async info() {
    const info = await this.docker.info();
    return {
      serverVersion: info.ServerVersion,
      runtimes: Object.keys(info.Runtimes ?? {}),
      defaultRuntime: info.DefaultRuntime ?? "runc",
      architecture: info.Architecture
    };
  }
  async inspectImage(ref) {
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
        os: i.Os
      };
    } catch (e) {
      if (statusCode(e) === 404) return void 0;
      throw e;
    }
  }
  async pullImage(ref, opts, onEvent, signal) {
    const stream = await this.docker.pull(ref, {
      ...opts.platform ? { platform: opts.platform } : {},
      ...opts.auth ? { authconfig: opts.auth } : {},
      abortSignal: signal
    });
    return followProgress(stream, onEvent, signal);
  }
  async buildImage(context, opts, onEvent, signal) {
    const stream = await this.docker.buildImage(context, {
      dockerfile: opts.dockerfile,
      t: opts.tag,
      buildargs: opts.buildargs,
      labels: opts.labels,
      // forcerm: intermediate containers are removed even when a step fails, so a failed
      // build leaves no container behind.
      rm: true,
      forcerm: true,
      ...opts.platform ? { platform: opts.platform } : {},
      ...opts.noCache ? { nocache: true } : {},
      abortSignal: signal
    });
    const stepContainers = [];
    const watch = (ev) => {
      const m = ev.stream?.match(/---> Running in ([0-9a-f]{12,64})/);
      if (m?.[1]) stepContainers.push(m[1]);
      onEvent(ev);
    };
    try {
      return await followProgress(stream, watch, signal);
    } catch (e) {
      await Promise.all(stepContainers.map((id) => this.removeWhenDone(id)));
      throw e;
    }
  }
  /** Waits up to `graceMs` for the daemon to remove a build step's container, then forces it. */
  async removeWhenDone(id, graceMs = 1e4) {
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
    await container.remove({ force: true }).catch((e) => {
      if (statusCode(e) !== 404) throw e;
    });
  }
  async tagImage(source, repo, tag) {
    await this.docker.getImage(source).tag({ repo, tag });
  }
  async pushImage(repo, tag, auth, onEvent, signal) {
    const image = this.docker.getImage(repo);
    const stream = await image.push({ tag, abortSignal: signal, authconfig: auth ?? {} });
    return followProgress(stream, onEvent, signal);
  }
  async removeImage(ref) {
    try {
      await this.docker.getImage(ref).remove({ force: false, noprune: false });
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
    }
  }
  async runOneShot(spec, onOutput, signal) {
    const deviceRequests = spec.gpus === void 0 ? void 0 : [{ Driver: "nvidia", Count: spec.gpus === "all" ? -1 : spec.gpus, Capabilities: [["gpu"]] }];
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd,
      Entrypoint: [],
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      Tty: false,
      HostConfig: {
        Binds: spec.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? "ro" : "rw"}`),
        ...deviceRequests ? { DeviceRequests: deviceRequests } : {},
        // The engine's shared-memory needs (NCCL, torch dataloaders) exceed Docker's 64 MB default.
        ShmSize: 2 * 1024 * 1024 * 1024,
        Init: true
      }
    });
    let firstError;
    let timedOut = false;
    let timer;
    const kill = () => container.kill().catch(() => {
    });
    const onAbort = () => void kill();
    try {
      const logs = await container.attach({ stream: true, stdout: true, stderr: true });
      const out = new PassThrough();
      out.on("data", (c) => onOutput(c.toString()));
      logs.on("error", () => {
      });
      this.docker.modem.demuxStream(logs, out, out);
      const waited = container.wait({ condition: "next-exit" });
      waited.catch(() => {
      });
      await container.start();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) void kill();
      timer = setTimeout(() => {
        timedOut = true;
        void kill();
      }, spec.timeoutMs);
      const status = await waited;
      clearTimeout(timer);
      if (signal?.aborted) throw signal.reason ?? new Error("aborted");
      let copied;
      if (spec.copyOut && !timedOut) {
        try {
          copied = await readAll(await container.getArchive({ path: spec.copyOut }));
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
        if (statusCode(e) !== 404 && firstError === void 0) throw e;
      }
    }
  }
};
export {
  DockerodeEngine
};
