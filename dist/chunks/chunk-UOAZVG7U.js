import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  require_dist
} from "./chunk-G4VJ447Q.js";
import {
  validateConfig
} from "./chunk-4HRXCVB4.js";
import {
  stripAnsi
} from "./chunk-LRJ6VPQL.js";
import {
  ConfigError,
  UserError,
  errnoCode
} from "./chunk-2IM7SQKB.js";
import {
  __toESM
} from "./chunk-U4OZQXGD.js";

// src/config/load.ts
var import_yaml = __toESM(require_dist(), 1);
import { readFile } from "node:fs/promises";
import path from "node:path";
function parseConfigText(text, file, dir) {
  const doc = (0, import_yaml.parseDocument)(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split("\n")[0]}`));
  }
  const { config, problems } = validateConfig(doc.toJS(), file, dir);
  if (!config) throw new ConfigError(file, problems);
  return config;
}
async function loadConfig(file) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = errnoCode(e);
    throw new UserError(`cannot read the build file ${file}: ${code === "ENOENT" ? "no such file" : String(e)}`);
  }
  return parseConfigText(text, file, path.dirname(path.resolve(file)));
}

// src/log.ts
function createLogger(sink = process.stderr) {
  const tty = Boolean(sink.isTTY);
  const lastStatus = /* @__PURE__ */ new Map();
  let barLines = 0;
  const bars = /* @__PURE__ */ new Map();
  function clearBars() {
    if (tty && barLines > 0) {
      sink.write(`\x1B[${barLines}A\x1B[J`);
      barLines = 0;
    }
  }
  function drawBars() {
    if (!tty) return;
    const lines = [...bars.values()];
    sink.write(lines.map((l) => `${l}
`).join(""));
    barLines = lines.length;
  }
  function line(text) {
    clearBars();
    sink.write(text.endsWith("\n") ? text : `${text}
`);
    drawBars();
  }
  return {
    info: (m) => line(`[sglang-image-patcher] ${m}`),
    warn: (m) => line(`[sglang-image-patcher] WARNING: ${m}`),
    stream(step, text) {
      for (const l of stripAnsi(text).split("\n")) if (l.trim() !== "") line(`[${step}] ${l}`);
    },
    progress(step, event) {
      if (event.stream !== void 0) return this.stream(step, event.stream);
      if (!event.status) return;
      const id = event.id ?? "";
      const key = `${step}/${id}`;
      if (tty && id && event.progressDetail?.total) {
        const { current = 0, total } = event.progressDetail;
        const width = 30;
        const filled = Math.min(width, Math.round(current / total * width));
        bars.set(key, `[${step}] ${id} ${event.status} [${"=".repeat(filled)}${" ".repeat(width - filled)}] ${formatBytes(current)}/${formatBytes(total)}`);
        clearBars();
        drawBars();
        return;
      }
      bars.delete(key);
      if (lastStatus.get(key) === event.status) return;
      lastStatus.set(key, event.status);
      line(`[${step}] ${id ? `${id}: ` : ""}${event.status}`);
    }
  };
}
function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export {
  loadConfig,
  createLogger
};
