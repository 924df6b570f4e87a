/** An in-memory DockerEngine for unit tests: records calls, scripted outcomes per method. */
import type { DaemonInfo, DockerEngine, ImageInfo, OneShotResult, OneShotSpec, RegistryAuth } from "../../src/docker/engine.js";
import { ProgressStreamError, type ProgressSummary } from "../../src/docker/progress.js";

export const BASE_ID = `sha256:${"b".repeat(64)}`;
export const BUILT_ID = `sha256:${"c".repeat(64)}`;

const summary = (over: Partial<ProgressSummary> = {}): ProgressSummary => ({
  events: 1, bytesUploaded: 0, layersPushed: [], layersAlreadyPresent: [], ...over,
});

export class FakeEngine implements DockerEngine {
  readonly endpoint = "unix:///fake.sock";
  calls: string[] = [];
  images = new Map<string, ImageInfo>();
  runtimes = ["runc"];
  /** Whether a container that asks for GPUs starts (the toolkit's hook is on the daemon's PATH). */
  canGiveGpus = false;
  buildError?: Error;
  pushErrors: Error[] = [];
  oneShot: (spec: OneShotSpec, signal?: AbortSignal) => Promise<OneShotResult> = async () => ({ exitCode: 0, timedOut: false });
  lastSpec?: OneShotSpec;
  pushAuth: (RegistryAuth | undefined)[] = [];
  /** Refs whose push succeeded. */
  pushed: string[] = [];

  constructor(baseRef: string) {
    this.images.set(baseRef, { id: BASE_ID, repoTags: [baseRef], repoDigests: [], labels: {}, layers: ["l1", "l2"], size: 1, architecture: "amd64", os: "linux" });
  }
  async ping() { this.calls.push("ping"); }
  async info(): Promise<DaemonInfo> { return { serverVersion: "20.10", runtimes: this.runtimes, defaultRuntime: "runc", architecture: "x86_64" }; }
  async inspectImage(ref: string) { return this.images.get(ref); }
  async pullImage(ref: string): Promise<ProgressSummary> { this.calls.push(`pull ${ref}`); throw new Error(`manifest for ${ref} not found: manifest unknown`); }
  async buildImage(_ctx: Buffer, opts: { tag: string; labels: Record<string, string> }) {
    this.calls.push(`build ${opts.tag}`);
    if (this.buildError) throw this.buildError;
    this.images.set(opts.tag, { id: BUILT_ID, repoTags: [opts.tag], repoDigests: [], labels: opts.labels, layers: ["l1", "l2", "l3"], size: 2, architecture: "amd64", os: "linux" });
    return summary({ imageId: BUILT_ID });
  }
  async tagImage(source: string, repo: string, tag: string) {
    this.calls.push(`tag ${repo}:${tag}`);
    const img = [...this.images.values()].find((i) => i.id === source || i.repoTags.includes(source));
    if (img) this.images.set(`${repo}:${tag}`, img);
  }
  async pushImage(repo: string, tag: string, auth: RegistryAuth | undefined) {
    this.calls.push(`push ${repo}:${tag}`);
    this.pushAuth.push(auth);
    const e = this.pushErrors.shift();
    if (e) throw e;
    this.pushed.push(`${repo}:${tag}`);
    return summary({ digest: `sha256:${"d".repeat(64)}`, bytesUploaded: 100, layersPushed: ["l3"] });
  }
  async removeImage(ref: string) { this.calls.push(`rmi ${ref}`); this.images.delete(ref); }
  async runOneShot(spec: OneShotSpec, _onOutput: (t: string) => void, signal?: AbortSignal) {
    this.calls.push(`run ${spec.name}`);
    // Docker 20.10 without the NVIDIA toolkit's hook: a GPU request fails at start.
    if (spec.gpus !== undefined && !this.canGiveGpus) throw new Error('(HTTP code 500) server error - could not select device driver "nvidia" with capabilities: [[gpu]]');
    this.lastSpec = spec;
    return this.oneShot(spec, signal);
  }
}

export const streamError = (message: string, tail: string[] = []) => new ProgressStreamError(message, tail);
