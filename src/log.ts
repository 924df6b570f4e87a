/**
 * Logs and progress go to stderr; stdout is reserved for the one JSON result. On a TTY the
 * per-layer progress is redrawn in place as bars; otherwise each change of a layer's status
 * is one plain line (CI logs stay readable and small).
 */
import { stripAnsi, type ProgressEvent } from "./docker/progress.js";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** One daemon progress event (pull/push/build); rendered as bars or plain lines. */
  progress(step: string, event: ProgressEvent): void;
  /** Raw output lines (build steps, container logs). */
  stream(step: string, text: string): void;
}

export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function createLogger(sink: LogSink = process.stderr): Logger {
  const tty = Boolean(sink.isTTY);
  // Last status printed per layer: plain mode prints a line only when it changes.
  const lastStatus = new Map<string, string>();
  let barLines = 0;
  const bars = new Map<string, string>();

  function clearBars(): void {
    if (tty && barLines > 0) {
      sink.write(`\x1b[${barLines}A\x1b[J`);
      barLines = 0;
    }
  }
  function drawBars(): void {
    if (!tty) return;
    const lines = [...bars.values()];
    sink.write(lines.map((l) => `${l}\n`).join(""));
    barLines = lines.length;
  }
  function line(text: string): void {
    clearBars();
    sink.write(text.endsWith("\n") ? text : `${text}\n`);
    drawBars();
  }

  return {
    info: (m) => line(`[sglang-image-patcher] ${m}`),
    warn: (m) => line(`[sglang-image-patcher] WARNING: ${m}`),
    stream(step, text) {
      for (const l of stripAnsi(text).split("\n")) if (l.trim() !== "") line(`[${step}] ${l}`);
    },
    progress(step, event) {
      if (event.stream !== undefined) return this.stream(step, event.stream);
      if (!event.status) return;
      const id = event.id ?? "";
      const key = `${step}/${id}`;
      if (tty && id && event.progressDetail?.total) {
        const { current = 0, total } = event.progressDetail;
        const width = 30;
        const filled = Math.min(width, Math.round((current / total) * width));
        bars.set(key, `[${step}] ${id} ${event.status} [${"=".repeat(filled)}${" ".repeat(width - filled)}] ${formatBytes(current)}/${formatBytes(total)}`);
        clearBars();
        drawBars();
        return;
      }
      bars.delete(key);
      if (lastStatus.get(key) === event.status) return;
      lastStatus.set(key, event.status);
      line(`[${step}] ${id ? `${id}: ` : ""}${event.status}`);
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A logger that keeps everything in memory (unit tests, quiet runs). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const inner = createLogger({ write: (t: string) => lines.push(...t.split("\n").filter(Boolean)) });
  return Object.assign(inner, { lines });
}
