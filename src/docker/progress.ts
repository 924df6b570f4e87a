/**
 * Reading the Engine's JSON-lines progress streams (build, pull, push).
 *
 * Why not docker-modem's followProgress: it resolves a FAILED build, and the Engine answers a
 * failing push with HTTP 200 and puts the failure in the stream as an `errorDetail` line
 * (testcontainers-node PR #1353). So ANY `error`/`errorDetail` line fails the operation, as
 * does a stream error or a line that is not JSON.
 */
import type { Readable } from "node:stream";

export interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

export class ProgressStreamError extends Error {
  constructor(
    message: string,
    /** The last few output lines before the failure, for context in the report. */
    readonly tail: string[] = [],
  ) {
    super(message);
    this.name = "ProgressStreamError";
  }
}

/** Splits arbitrary chunks into JSON events; a line may arrive in pieces. */
export class ProgressParser {
  private buffer = "";

  push(chunk: string | Buffer): ProgressEvent[] {
    this.buffer += chunk.toString();
    const lines = this.buffer.split(/\r?\n/);
    this.buffer = lines.pop() ?? "";
    return lines.flatMap((l) => this.parseLine(l));
  }

  end(): ProgressEvent[] {
    const rest = this.buffer;
    this.buffer = "";
    return this.parseLine(rest);
  }

  private parseLine(line: string): ProgressEvent[] {
    return splitJsonObjects(line).map((piece) => {
      try {
        return JSON.parse(piece) as ProgressEvent;
      } catch {
        throw new ProgressStreamError(`unexpected output from the Docker daemon (not JSON): ${piece.slice(0, 200)}`);
      }
    });
  }
}

/**
 * The top-level JSON values of one line: the Engine sometimes writes several objects on one
 * line without a separator. Braces inside strings (build output such as `{"a":1}{"b":2}`) are
 * text, so the split follows the JSON structure instead of looking for `}{`. Anything that is
 * not an object is returned as one piece for JSON.parse to refuse.
 */
export function splitJsonObjects(line: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0 && start < 0) {
      if (/\s/.test(c as string)) continue;
      if (c !== "{") return [...pieces, line.slice(i).trim()];
      start = i;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth += 1;
    else if (c === "}" || c === "]") {
      depth -= 1;
      if (depth === 0) {
        pieces.push(line.slice(start, i + 1));
        start = -1;
      }
    }
  }
  // An unfinished object: JSON.parse names it.
  if (start >= 0) pieces.push(line.slice(start).trim());
  return pieces;
}

/** Build output carries the terminal colours of RUN steps' stderr; logs and messages do not want them. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- terminal escapes start with the ESC control character
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/** The failure an event reports, or undefined. */
export function eventError(event: ProgressEvent): string | undefined {
  if (event.errorDetail) return event.errorDetail.message ?? event.error ?? JSON.stringify(event.errorDetail);
  if (event.error !== undefined) return event.error;
  return undefined;
}

export interface ProgressSummary {
  events: number;
  /** Image id from a build's `aux.ID` (or the classic builder's "Successfully built" line). */
  imageId?: string;
  /** Push result from `aux.Digest` / `aux.Size`. */
  digest?: string;
  size?: number;
  /** Bytes a push actually uploaded: sum of the final totals of layers that were pushed. */
  bytesUploaded: number;
  layersPushed: string[];
  layersAlreadyPresent: string[];
}

/** Applies events to a summary; throws ProgressStreamError on the first error line. */
export class ProgressTracker {
  readonly summary: ProgressSummary = { events: 0, bytesUploaded: 0, layersPushed: [], layersAlreadyPresent: [] };
  private readonly tail: string[] = [];
  private readonly uploadTotals = new Map<string, number>();

  apply(event: ProgressEvent): void {
    this.summary.events += 1;
    const err = eventError(event);
    if (err !== undefined) throw new ProgressStreamError(err.trim(), [...this.tail]);
    const text = event.stream ?? (event.status ? `${event.id ? `${event.id}: ` : ""}${event.status}` : undefined);
    for (const line of stripAnsi(text ?? "").split("\n")) {
      if (line.trim() === "") continue;
      this.tail.push(line.trimEnd());
      if (this.tail.length > 40) this.tail.shift();
    }
    if (event.aux?.ID) this.summary.imageId = event.aux.ID;
    if (event.aux?.Digest) this.summary.digest = event.aux.Digest;
    if (event.aux?.Size !== undefined) this.summary.size = event.aux.Size;
    const built = event.stream?.match(/^Successfully built ([0-9a-f]{12,64})/);
    if (built && !this.summary.imageId) this.summary.imageId = built[1];
    // `current` counts the bytes sent so far (compressed); `total` is the layer's size before
    // compression, so the last `current` is what really went over the wire.
    if (event.id && event.status === "Pushing" && event.progressDetail?.current !== undefined) {
      this.uploadTotals.set(event.id, Math.max(this.uploadTotals.get(event.id) ?? 0, event.progressDetail.current));
    }
    if (event.id && event.status === "Pushed") {
      this.summary.layersPushed.push(event.id);
      this.summary.bytesUploaded += this.uploadTotals.get(event.id) ?? 0;
    }
    if (event.id && (event.status === "Layer already exists" || event.status?.startsWith("Mounted from"))) {
      this.summary.layersAlreadyPresent.push(event.id);
    }
  }

  lastLines(): string[] {
    return [...this.tail];
  }
}

/**
 * Consumes a daemon progress stream to its end. Resolves with the summary; rejects on an
 * error line, a stream error, non-JSON output, or an abort (the stream is destroyed, which
 * closes the HTTP request so the daemon stops the operation).
 */
export function followProgress(
  stream: Readable,
  onEvent: (event: ProgressEvent) => void = () => {},
  signal?: AbortSignal,
): Promise<ProgressSummary> {
  const parser = new ProgressParser();
  const tracker = new ProgressTracker();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      stream.destroy();
      reject(e);
    };
    const handle = (events: ProgressEvent[]) => {
      for (const ev of events) {
        tracker.apply(ev);
        onEvent(ev);
      }
    };
    const onAbort = () => fail(signal?.reason ?? new Error("aborted"));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer) => {
      if (settled) return;
      try {
        handle(parser.push(chunk));
      } catch (e) {
        fail(e);
      }
    });
    stream.on("error", (e) => fail(new ProgressStreamError(`connection to the Docker daemon failed: ${e.message}`, tracker.lastLines())));
    // A daemon that dies mid-operation closes the socket without a clean end.
    stream.on("close", () => fail(new ProgressStreamError("the Docker daemon closed the progress stream before the operation finished", tracker.lastLines())));
    stream.on("end", () => {
      if (settled) return;
      try {
        handle(parser.end());
      } catch (e) {
        return fail(e);
      }
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      resolve(tracker.summary);
    });
  });
}
