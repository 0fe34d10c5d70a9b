import { mount } from "@vue/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defineComponent, h } from "vue";
import { usePolling, type Polling } from "./use-polling.js";

/** A document whose visibility the test controls. */
class FakeDocument extends EventTarget {
  visibilityState: DocumentVisibilityState = "visible";
  setVisible(visible: boolean): void {
    this.visibilityState = visible ? "visible" : "hidden";
    this.dispatchEvent(new Event("visibilitychange"));
  }
}

function mountPolling(load: () => Promise<number>, doc: FakeDocument) {
  let polling: Polling<number> | undefined;
  const wrapper = mount(
    defineComponent({
      setup() {
        polling = usePolling(load, { intervalMs: 2_000, document: doc as unknown as Document });
        return () => h("div");
      },
    }),
  );
  return { wrapper, polling: polling as Polling<number> };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("usePolling", () => {
  it("loads on mount and again every interval while visible", async () => {
    let n = 0;
    const load = vi.fn(async () => ++n);
    const { wrapper, polling } = mountPolling(load, new FakeDocument());
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(1);
    expect(polling.data.value).toBe(1);
    expect(polling.loading.value).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(load).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(load).toHaveBeenCalledTimes(4);
    expect(polling.data.value).toBe(4);
    wrapper.unmount();
  });

  it("stops while the page is hidden and loads at once when it is shown again", async () => {
    const load = vi.fn(async () => 1);
    const doc = new FakeDocument();
    const { wrapper } = mountPolling(load, doc);
    await vi.advanceTimersByTimeAsync(0);
    doc.setVisible(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(load).toHaveBeenCalledTimes(1);
    doc.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(load).toHaveBeenCalledTimes(3);
    wrapper.unmount();
  });

  it("stops for good when the component unmounts", async () => {
    const load = vi.fn(async () => 1);
    const doc = new FakeDocument();
    const { wrapper } = mountPolling(load, doc);
    await vi.advanceTimersByTimeAsync(0);
    wrapper.unmount();
    doc.setVisible(false);
    doc.setVisible(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("keeps the last data on a failure, exposes the error and clears it on the next success", async () => {
    const load = vi.fn<() => Promise<number>>().mockResolvedValueOnce(7).mockRejectedValueOnce(new Error("down")).mockResolvedValue(8);
    const { wrapper, polling } = mountPolling(load, new FakeDocument());
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(polling.data.value).toBe(7);
    expect((polling.error.value as Error).message).toBe("down");
    await vi.advanceTimersByTimeAsync(2_000);
    expect(polling.data.value).toBe(8);
    expect(polling.error.value).toBeUndefined();
    wrapper.unmount();
  });

  it("never runs two loads at once and restarts the interval on refresh", async () => {
    let resolve: ((value: number) => void) | undefined;
    const load = vi.fn(() => new Promise<number>((r) => (resolve = r)));
    const { wrapper, polling } = mountPolling(load, new FakeDocument());
    await vi.advanceTimersByTimeAsync(0);
    const refreshed = polling.refresh();
    expect(load).toHaveBeenCalledTimes(1);
    resolve?.(5);
    await refreshed;
    expect(polling.data.value).toBe(5);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(load).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(load).toHaveBeenCalledTimes(2);
    wrapper.unmount();
  });
});
