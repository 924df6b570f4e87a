/** Logger and retry classification. */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { isAuthFailure, isTransient, withRetry } from "../../src/retry.js";

describe("logger", () => {
  it("plain mode prints one line per status change of a layer, nothing on stdout", () => {
    const out: string[] = [];
    const log = createLogger({ write: (t: string) => out.push(t), isTTY: false });
    for (const current of [1, 2, 3]) log.progress("push", { id: "abc", status: "Pushing", progressDetail: { current, total: 10 } });
    log.progress("push", { id: "abc", status: "Pushed" });
    log.stream("build", "Step 1/2 : FROM x\n\x1b[91mred\x1b[0m\n");
    expect(out.join("")).toBe("[push] abc: Pushing\n[push] abc: Pushed\n[build] Step 1/2 : FROM x\n[build] red\n");
  });

  it("TTY mode draws bars and redraws them in place", () => {
    const out: string[] = [];
    const log = createLogger({ write: (t: string) => out.push(t), isTTY: true });
    log.progress("pull", { id: "l1", status: "Downloading", progressDetail: { current: 512, total: 1024 } });
    log.progress("pull", { id: "l1", status: "Downloading", progressDetail: { current: 1024, total: 1024 } });
    const text = out.join("");
    expect(text).toContain("[pull] l1 Downloading [===============               ] 512 B/1.0 KiB");
    expect(text).toContain("\x1b[1A\x1b[J");
    expect(text).toContain("[==============================] 1.0 KiB/1.0 KiB");
  });
});

describe("retry", () => {
  it.each([
    ["dial tcp 127.0.0.1:5001: connect: connection refused", true],
    ["received unexpected HTTP status: 503 Service Unavailable", true],
    ["net/http: TLS handshake timeout", true],
    ["unauthorized: authentication required", false],
    ["denied: requested access to the resource is denied", false],
    ["manifest invalid", false],
  ])("%s -> transient %s", (msg, transient) => {
    expect(isTransient(msg)).toBe(transient);
  });

  it("auth failures are recognised", () => {
    expect(isAuthFailure("no basic auth credentials")).toBe(true);
  });

  it("backs off and counts attempts", async () => {
    const delays: number[] = [];
    let n = 0;
    const r = await withRetry(async () => { if (++n < 3) throw new Error("ECONNRESET"); return "ok"; }, { attempts: 5, initialDelayMs: 1, maxDelayMs: 3 }, (_a, _e, d) => delays.push(d));
    expect(r).toEqual({ value: "ok", attempts: 3 });
    expect(delays).toEqual([1, 2]);
  });
});
