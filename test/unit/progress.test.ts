/** Progress-stream handling, fed with output recorded from Docker Engine 20.10 (test/fixtures/daemon). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressParser, ProgressStreamError, ProgressTracker, followProgress, splitJsonObjects, stripAnsi } from "../../src/docker/progress.js";

const recorded = (name: string) => readFileSync(path.join(import.meta.dirname, "../fixtures/daemon", name), "utf8");

/** Feeds a recording to followProgress in awkward chunk sizes (lines split mid-JSON). */
function replay(text: string, chunk = 37): PassThrough {
  const s = new PassThrough();
  setImmediate(() => {
    for (let i = 0; i < text.length; i += chunk) s.write(text.slice(i, i + chunk));
    s.end();
  });
  return s;
}

describe("daemon progress streams", () => {
  it("a successful build yields the image id from aux.ID", async () => {
    const events: unknown[] = [];
    const summary = await followProgress(replay(recorded("build-success.jsonl")), (e) => events.push(e));
    expect(summary.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(events.length).toBe(summary.events);
  });

  it("a build whose RUN step failed rejects with the errorDetail message and the output before it", async () => {
    const p = followProgress(replay(recorded("build-patch-does-not-apply.jsonl")));
    await expect(p).rejects.toBeInstanceOf(ProgressStreamError);
    await expect(p).rejects.toThrow(/returned a non-zero code: 1/);
    const err = (await p.catch((e: unknown) => e)) as ProgressStreamError;
    expect(err.tail.join("\n")).toContain("apply-patchset: ERROR: patch 0002-context-does-not-match.patch does not apply");
    expect(err.tail.join("\n")).not.toContain("\x1b[");
  });

  it("a push answered with HTTP 200 but an errorDetail line fails", async () => {
    await expect(followProgress(replay(recorded("push-auth-refused.jsonl")))).rejects.toThrow("unauthorized: authentication required");
  });

  it("a push yields the digest from aux and counts the bytes sent per pushed layer", async () => {
    const summary = await followProgress(replay(recorded("push-success.jsonl"), 5));
    expect(summary.digest).toBe("sha256:53274aa027cd6755343f81a669a1e87926551ba1c9216bef7fc41b99096f6bb7");
    expect(summary.size).toBe(1369);
    expect(summary.layersPushed).toEqual(["7d03228a84a9"]);
    expect(summary.bytesUploaded).toBe(124928);
  });

  it("a second tag of a pushed image uploads nothing", async () => {
    const summary = await followProgress(replay(recorded("push-second-tag.jsonl")));
    expect(summary.layersPushed).toEqual([]);
    expect(summary.layersAlreadyPresent).toHaveLength(5);
    expect(summary.bytesUploaded).toBe(0);
    expect(summary.digest).toMatch(/^sha256:/);
  });

  it("an error line alone (no errorDetail) fails too", () => {
    const t = new ProgressTracker();
    expect(() => t.apply({ error: "boom" })).toThrow("boom");
  });

  it("output that is not JSON fails instead of being ignored", async () => {
    await expect(followProgress(replay('{"stream":"ok"}\n<html>502 Bad Gateway</html>\n'))).rejects.toThrow("(not JSON): <html>502 Bad Gateway</html>");
  });

  it("a stream that errors or closes before its end fails", async () => {
    const s = new PassThrough();
    const p = followProgress(s);
    s.write('{"status":"Pushing"}\n');
    s.destroy(new Error("socket hang up"));
    await expect(p).rejects.toThrow(/connection to the Docker daemon failed: socket hang up/);
  });

  it("an abort stops following and destroys the stream", async () => {
    const s = new PassThrough();
    const controller = new AbortController();
    const p = followProgress(s, () => {}, controller.signal);
    controller.abort(new Error("cancelled by SIGINT"));
    await expect(p).rejects.toThrow("cancelled by SIGINT");
    expect(s.destroyed).toBe(true);
  });

  it("splits objects the daemon wrote back to back on one line", () => {
    const parser = new ProgressParser();
    expect(parser.push('{"status":"a"}{"status":"b"}\n{"sta')).toEqual([{ status: "a" }, { status: "b" }]);
    expect(parser.push('tus":"c"}')).toEqual([]);
    expect(parser.end()).toEqual([{ status: "c" }]);
  });

  it("braces inside strings are text: a failed build whose output holds `}{` reports its real error", async () => {
    // Recorded from Engine 20.10: a RUN step that prints `{"a":1}{"b":2}` and `}{`, then exits 3.
    const text = recorded("build-failed-output-with-braces.jsonl");
    const events: string[] = [];
    const err = await followProgress(replay(text, 11), (e) => e.stream && events.push(e.stream)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProgressStreamError);
    expect((err as Error).message).toMatch(/^The command '\/bin\/sh -c echo .* returned a non-zero code: 3$/);
    expect(events).toContain('token map: {"a":1}{"b":2}\n');
    expect((err as ProgressStreamError).tail).toContain("}{ then fail");
  });

  it("splits back-to-back objects by their structure, not by the text `}{`", () => {
    expect(splitJsonObjects('{"stream":"a}{b"}{"status":"x{"}  {"aux":{"ID":"i"}}')).toEqual(['{"stream":"a}{b"}', '{"status":"x{"}', '{"aux":{"ID":"i"}}']);
    expect(splitJsonObjects('{"stream":"quote \\" }{ still text"}')).toEqual(['{"stream":"quote \\" }{ still text"}']);
    expect(splitJsonObjects("  ")).toEqual([]);
    const parser = new ProgressParser();
    expect(() => parser.push("not json\n")).toThrow(/not JSON\): not json/);
    expect(() => new ProgressParser().push('{"a":1}garbage\n')).toThrow(/not JSON\): garbage/);
  });

  it("strips terminal colours", () => {
    expect(stripAnsi("\x1b[91merror\x1b[0m")).toBe("error");
  });
});
