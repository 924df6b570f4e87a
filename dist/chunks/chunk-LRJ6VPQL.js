import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/docker/progress.ts
var ProgressStreamError = class extends Error {
  constructor(message, tail = []) {
    super(message);
    this.tail = tail;
    this.name = "ProgressStreamError";
  }
  tail;
};
var ProgressParser = class {
  buffer = "";
  push(chunk) {
    this.buffer += chunk.toString();
    const lines = this.buffer.split(/\r?\n/);
    this.buffer = lines.pop() ?? "";
    return lines.flatMap((l) => this.parseLine(l));
  }
  end() {
    const rest = this.buffer;
    this.buffer = "";
    return this.parseLine(rest);
  }
  parseLine(line) {
    return splitJsonObjects(line).map((piece) => {
      try {
        return JSON.parse(piece);
      } catch {
        throw new ProgressStreamError(`unexpected output from the Docker daemon (not JSON): ${piece.slice(0, 200)}`);
      }
    });
  }
};
function splitJsonObjects(line) {
  const pieces = [];
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
      if (/\s/.test(c)) continue;
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
  if (start >= 0) pieces.push(line.slice(start).trim());
  return pieces;
}
function stripAnsi(text) {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}
function eventError(event) {
  if (event.errorDetail) return event.errorDetail.message ?? event.error ?? JSON.stringify(event.errorDetail);
  if (event.error !== void 0) return event.error;
  return void 0;
}
var ProgressTracker = class {
  summary = { events: 0, bytesUploaded: 0, layersPushed: [], layersAlreadyPresent: [] };
  tail = [];
  uploadTotals = /* @__PURE__ */ new Map();
  apply(event) {
    this.summary.events += 1;
    const err = eventError(event);
    if (err !== void 0) throw new ProgressStreamError(err.trim(), [...this.tail]);
    const text = event.stream ?? (event.status ? `${event.id ? `${event.id}: ` : ""}${event.status}` : void 0);
    for (const line of stripAnsi(text ?? "").split("\n")) {
      if (line.trim() === "") continue;
      this.tail.push(line.trimEnd());
      if (this.tail.length > 40) this.tail.shift();
    }
    if (event.aux?.ID) this.summary.imageId = event.aux.ID;
    if (event.aux?.Digest) this.summary.digest = event.aux.Digest;
    if (event.aux?.Size !== void 0) this.summary.size = event.aux.Size;
    const built = event.stream?.match(/^Successfully built ([0-9a-f]{12,64})/);
    if (built && !this.summary.imageId) this.summary.imageId = built[1];
    if (event.id && event.status === "Pushing" && event.progressDetail?.current !== void 0) {
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
  lastLines() {
    return [...this.tail];
  }
};
function followProgress(stream, onEvent = () => {
}, signal) {
  const parser = new ProgressParser();
  const tracker = new ProgressTracker();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      stream.destroy();
      reject(e);
    };
    const handle = (events) => {
      for (const ev of events) {
        tracker.apply(ev);
        onEvent(ev);
      }
    };
    const onAbort = () => fail(signal?.reason ?? new Error("aborted"));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk) => {
      if (settled) return;
      try {
        handle(parser.push(chunk));
      } catch (e) {
        fail(e);
      }
    });
    stream.on("error", (e) => fail(new ProgressStreamError(`connection to the Docker daemon failed: ${e.message}`, tracker.lastLines())));
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

export {
  ProgressStreamError,
  stripAnsi,
  followProgress
};
