/**
 * Live data without reloading the page: calls `load` when the component
 * mounts, then again `intervalMs` after each answer, but only while the page is
 * visible. Hiding the page stops the timer; showing it loads at once and
 * resumes. Unmounting stops everything. Calls never overlap.
 */
import { onBeforeUnmount, onMounted, ref, shallowRef, type Ref, type ShallowRef } from "vue";

/** Options of usePolling. */
export interface PollingOptions {
  /** Pause between the end of one load and the start of the next (default 2000 ms). */
  intervalMs?: number;
  /** Whose visibility counts (default the page's document). */
  document?: Pick<Document, "visibilityState" | "addEventListener" | "removeEventListener">;
}

/** What usePolling gives back. */
export interface Polling<T> {
  /** The latest successful answer; undefined until the first one. */
  data: ShallowRef<T | undefined>;
  /** The latest failure, cleared by the next success. */
  error: ShallowRef<unknown>;
  /** True until the first load has settled. */
  loading: Ref<boolean>;
  /** Loads now (e.g. after a change) and restarts the interval. */
  refresh: () => Promise<void>;
}

/** Polls `load` while the component is mounted and the page visible. */
export function usePolling<T>(load: () => Promise<T>, options: PollingOptions = {}): Polling<T> {
  const { intervalMs = 2_000 } = options;
  const doc = options.document ?? document;
  const data = shallowRef<T | undefined>();
  const error = shallowRef<unknown>();
  const loading = ref(true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let active = false;

  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const schedule = (): void => {
    clearTimer();
    if (active && doc.visibilityState === "visible") timer = setTimeout(() => void refresh(), intervalMs);
  };

  const loadOnce = async (): Promise<void> => {
    try {
      const value = await load();
      if (!active) return;
      data.value = value;
      error.value = undefined;
    } catch (err) {
      if (active) error.value = err;
    } finally {
      loading.value = false;
    }
  };

  async function refresh(): Promise<void> {
    clearTimer();
    inFlight ??= loadOnce().finally(() => {
      inFlight = undefined;
    });
    await inFlight;
    schedule();
  }

  const onVisibilityChange = (): void => {
    if (doc.visibilityState === "visible") void refresh();
    else clearTimer();
  };

  onMounted(() => {
    active = true;
    doc.addEventListener("visibilitychange", onVisibilityChange);
    void refresh();
  });
  onBeforeUnmount(() => {
    active = false;
    clearTimer();
    doc.removeEventListener("visibilitychange", onVisibilityChange);
  });

  return { data, error, loading, refresh };
}
