import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PING_EVENT, startClientPinger } from "./client-pinger.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function setup(writable = () => true) {
  const sent: Buffer[] = [];
  const pinger = startClientPinger({ intervalMs: 1_000, send: (ping) => sent.push(ping), writable });
  return { pinger, sent };
}

describe("startClientPinger", () => {
  it("pings once per interval of upstream silence between events", () => {
    const { pinger, sent } = setup();
    pinger.forwarded(Buffer.from("event: message_start\ndata: {}\n\n"));
    vi.advanceTimersByTime(999);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(2_100);
    expect(sent).toEqual([PING_EVENT, PING_EVENT, PING_EVENT]);
    pinger.stop();
  });

  it("waits a full interval after the last upstream byte", () => {
    const { pinger, sent } = setup();
    vi.advanceTimersByTime(600);
    pinger.forwarded(Buffer.from("data: 1\n\n"));
    vi.advanceTimersByTime(900);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(200);
    expect(sent).toHaveLength(1);
    pinger.stop();
  });

  it("never pings inside an event, however long the silence", () => {
    const { pinger, sent } = setup();
    pinger.forwarded(Buffer.from('event: content_block_delta\ndata: {"text":"h'));
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(0);
    pinger.forwarded(Buffer.from('é"}\n\n'));
    vi.advanceTimersByTime(1_100);
    expect(sent).toHaveLength(1);
    pinger.stop();
  });

  it("skips pings while the client is not writable, and stops for good", () => {
    let writable = false;
    const { pinger, sent } = setup(() => writable);
    vi.advanceTimersByTime(3_000);
    expect(sent).toHaveLength(0);
    writable = true;
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(1);
    pinger.stop();
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
  });
});
