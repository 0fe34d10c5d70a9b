/**
 * Whether the window is narrower than a tablet, where the layout trades its
 * sidebar for a menu button. The stylesheet's phone rules (styles.css) use
 * the same query; change both together.
 */
import { onBeforeUnmount, ref, type Ref } from "vue";

/** Below a tablet's width (768 px). */
export const NARROW_QUERY = "(max-width: 767px)";

/** A ref that follows NARROW_QUERY; false where the environment has no matchMedia. */
export function useNarrowScreen(): Ref<boolean> {
  const list = typeof window.matchMedia === "function" ? window.matchMedia(NARROW_QUERY) : undefined;
  const narrow = ref(list?.matches ?? false);
  const onChange = (event: MediaQueryListEvent) => {
    narrow.value = event.matches;
  };
  list?.addEventListener("change", onChange);
  onBeforeUnmount(() => list?.removeEventListener("change", onChange));
  return narrow;
}
