import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  __commonJS,
  __require
} from "./chunk-U4OZQXGD.js";

// ../main/node_modules/wrappy/wrappy.js
var require_wrappy = __commonJS({
  "../main/node_modules/wrappy/wrappy.js"(exports, module) {
    module.exports = wrappy;
    function wrappy(fn, cb) {
      if (fn && cb) return wrappy(fn)(cb);
      if (typeof fn !== "function")
        throw new TypeError("need wrapper function");
      Object.keys(fn).forEach(function(k) {
        wrapper[k] = fn[k];
      });
      return wrapper;
      function wrapper() {
        var args = new Array(arguments.length);
        for (var i = 0; i < args.length; i++) {
          args[i] = arguments[i];
        }
        var ret = fn.apply(this, args);
        var cb2 = args[args.length - 1];
        if (typeof ret === "function" && ret !== cb2) {
          Object.keys(cb2).forEach(function(k) {
            ret[k] = cb2[k];
          });
        }
        return ret;
      }
    }
  }
});

// ../main/node_modules/once/once.js
var require_once = __commonJS({
  "../main/node_modules/once/once.js"(exports, module) {
    var wrappy = require_wrappy();
    module.exports = wrappy(once);
    module.exports.strict = wrappy(onceStrict);
    once.proto = once(function() {
      Object.defineProperty(Function.prototype, "once", {
        value: function() {
          return once(this);
        },
        configurable: true
      });
      Object.defineProperty(Function.prototype, "onceStrict", {
        value: function() {
          return onceStrict(this);
        },
        configurable: true
      });
    });
    function once(fn) {
      var f = function() {
        if (f.called) return f.value;
        f.called = true;
        return f.value = fn.apply(this, arguments);
      };
      f.called = false;
      return f;
    }
    function onceStrict(fn) {
      var f = function() {
        if (f.called)
          throw new Error(f.onceError);
        f.called = true;
        return f.value = fn.apply(this, arguments);
      };
      var name = fn.name || "Function wrapped with `once`";
      f.onceError = name + " shouldn't be called more than once";
      f.called = false;
      return f;
    }
  }
});

// ../main/node_modules/end-of-stream/index.js
var require_end_of_stream = __commonJS({
  "../main/node_modules/end-of-stream/index.js"(exports, module) {
    var once = require_once();
    var noop = function() {
    };
    var qnt = global.Bare ? queueMicrotask : process.nextTick.bind(process);
    var isRequest = function(stream) {
      return stream.setHeader && typeof stream.abort === "function";
    };
    var isChildProcess = function(stream) {
      return stream.stdio && Array.isArray(stream.stdio) && stream.stdio.length === 3;
    };
    var eos = function(stream, opts, callback) {
      if (typeof opts === "function") return eos(stream, null, opts);
      if (!opts) opts = {};
      callback = once(callback || noop);
      var ws = stream._writableState;
      var rs = stream._readableState;
      var readable = opts.readable || opts.readable !== false && stream.readable;
      var writable = opts.writable || opts.writable !== false && stream.writable;
      var cancelled = false;
      var onlegacyfinish = function() {
        if (!stream.writable) onfinish();
      };
      var onfinish = function() {
        writable = false;
        if (!readable) callback.call(stream);
      };
      var onend = function() {
        readable = false;
        if (!writable) callback.call(stream);
      };
      var onexit = function(exitCode) {
        callback.call(stream, exitCode ? new Error("exited with error code: " + exitCode) : null);
      };
      var onerror = function(err) {
        callback.call(stream, err);
      };
      var onclose = function() {
        qnt(onclosenexttick);
      };
      var onclosenexttick = function() {
        if (cancelled) return;
        if (readable && !(rs && (rs.ended && !rs.destroyed))) return callback.call(stream, new Error("premature close"));
        if (writable && !(ws && (ws.ended && !ws.destroyed))) return callback.call(stream, new Error("premature close"));
      };
      var onrequest = function() {
        stream.req.on("finish", onfinish);
      };
      if (isRequest(stream)) {
        stream.on("complete", onfinish);
        stream.on("abort", onclose);
        if (stream.req) onrequest();
        else stream.on("request", onrequest);
      } else if (writable && !ws) {
        stream.on("end", onlegacyfinish);
        stream.on("close", onlegacyfinish);
      }
      if (isChildProcess(stream)) stream.on("exit", onexit);
      stream.on("end", onend);
      stream.on("finish", onfinish);
      if (opts.error !== false) stream.on("error", onerror);
      stream.on("close", onclose);
      return function() {
        cancelled = true;
        stream.removeListener("complete", onfinish);
        stream.removeListener("abort", onclose);
        stream.removeListener("request", onrequest);
        if (stream.req) stream.req.removeListener("finish", onfinish);
        stream.removeListener("end", onlegacyfinish);
        stream.removeListener("close", onlegacyfinish);
        stream.removeListener("finish", onfinish);
        stream.removeListener("exit", onexit);
        stream.removeListener("end", onend);
        stream.removeListener("error", onerror);
        stream.removeListener("close", onclose);
      };
    };
    module.exports = eos;
  }
});

// ../main/node_modules/pump/index.js
var require_pump = __commonJS({
  "../main/node_modules/pump/index.js"(exports, module) {
    var once = require_once();
    var eos = require_end_of_stream();
    var fs;
    try {
      fs = __require("fs");
    } catch (e) {
    }
    var noop = function() {
    };
    var ancient = typeof process === "undefined" ? false : /^v?\.0/.test(process.version);
    var isFn = function(fn) {
      return typeof fn === "function";
    };
    var isFS = function(stream) {
      if (!ancient) return false;
      if (!fs) return false;
      return (stream instanceof (fs.ReadStream || noop) || stream instanceof (fs.WriteStream || noop)) && isFn(stream.close);
    };
    var isRequest = function(stream) {
      return stream.setHeader && isFn(stream.abort);
    };
    var destroyer = function(stream, reading, writing, callback) {
      callback = once(callback);
      var closed = false;
      stream.on("close", function() {
        closed = true;
      });
      eos(stream, { readable: reading, writable: writing }, function(err) {
        if (err) return callback(err);
        closed = true;
        callback();
      });
      var destroyed = false;
      return function(err) {
        if (closed) return;
        if (destroyed) return;
        destroyed = true;
        if (isFS(stream)) return stream.close(noop);
        if (isRequest(stream)) return stream.abort();
        if (isFn(stream.destroy)) return stream.destroy();
        callback(err || new Error("stream was destroyed"));
      };
    };
    var call = function(fn) {
      fn();
    };
    var pipe = function(from, to) {
      return from.pipe(to);
    };
    var pump = function() {
      var streams = Array.prototype.slice.call(arguments);
      var callback = isFn(streams[streams.length - 1] || noop) && streams.pop() || noop;
      if (Array.isArray(streams[0])) streams = streams[0];
      if (streams.length < 2) throw new Error("pump requires two streams per minimum");
      var error;
      var destroys = streams.map(function(stream, i) {
        var reading = i < streams.length - 1;
        var writing = i > 0;
        return destroyer(stream, reading, writing, function(err) {
          if (!error) error = err;
          if (err) destroys.forEach(call);
          if (reading) return;
          destroys.forEach(call);
          callback(error);
        });
      });
      return streams.reduce(pipe);
    };
    module.exports = pump;
  }
});

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
  followProgress,
  require_end_of_stream,
  require_pump
};
