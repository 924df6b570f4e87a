/** Retrying transient failures (registry hiccups) with exponential backoff. */
import { CancelledError } from "./errors.js";

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_PUSH_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 2_000, maxDelayMs: 30_000 };

// Failures worth another try: network and server-side trouble. Authentication, a missing
// repository or a bad request will fail the same way again.
const TRANSIENT = [
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up/i,
  /connection refused|connection reset|i\/o timeout|timeout exceeded|TLS handshake timeout|unexpected EOF|broken pipe/i,
  /\b(500|502|503|504)\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|too many requests|\b429\b/i,
  /blob upload unknown|blob upload invalid/i,
];
const PERMANENT = /unauthorized|authentication required|denied|no basic auth credentials|forbidden|\b401\b|\b403\b/i;

export function isTransient(message: string): boolean {
  if (PERMANENT.test(message)) return false;
  return TRANSIENT.some((re) => re.test(message));
}

export function isAuthFailure(message: string): boolean {
  return PERMANENT.test(message);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new CancelledError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
}

/** Runs `fn` until it succeeds, fails permanently, or the attempts run out; the last error
 *  gets the attempt count appended. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry: (attempt: number, error: unknown, delayMs: number) => void,
  signal?: AbortSignal,
): Promise<RetryOutcome<T>> {
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      const message = e instanceof Error ? e.message : String(e);
      if (!isTransient(message)) throw e;
      if (attempt >= policy.attempts) {
        if (e instanceof Error) e.message = `${e.message} (gave up after ${attempt} attempts)`;
        throw e;
      }
      onRetry(attempt, e, delay);
      await sleep(delay, signal);
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}
