/**
 * Waiting for the mock OpenAI upstream to have received a number of requests: each wait resolves
 * with every request so far once there are enough, or rejects on timeout or when the mock closes.
 */
import type { RecordedOpenAIRequest } from "./mock-openai-route.js";

/** Thrown by MockOpenAI.waitForRequests on timeout or when the mock closes first. */
export class MockOpenAIError extends Error {
  constructor(
    readonly code: "ERR_MOCK_OPENAI_TIMEOUT" | "ERR_MOCK_OPENAI_CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "MockOpenAIError";
  }
}

interface Waiter {
  n: number;
  resolve: (requests: RecordedOpenAIRequest[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The waits over `requests`; `received` records a request and wakes the waits it completes. */
export function createWaiters(requests: RecordedOpenAIRequest[]) {
  const waiters = new Set<Waiter>();
  let closed = false;
  return {
    received(record: RecordedOpenAIRequest): void {
      requests.push(record);
      for (const waiter of waiters) {
        if (requests.length < waiter.n) continue;
        clearTimeout(waiter.timer);
        waiters.delete(waiter);
        waiter.resolve(requests.slice());
      }
    },
    wait(n: number, timeoutMs: number): Promise<RecordedOpenAIRequest[]> {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      if (closed) return Promise.reject(new MockOpenAIError("ERR_MOCK_OPENAI_CLOSED", "the mock upstream is closed"));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          n,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new MockOpenAIError("ERR_MOCK_OPENAI_TIMEOUT", `received ${requests.length} of ${n} requests within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    closeAll(): void {
      closed = true;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new MockOpenAIError("ERR_MOCK_OPENAI_CLOSED", `closed after ${requests.length} of ${waiter.n} requests`));
      }
      waiters.clear();
    },
  };
}
