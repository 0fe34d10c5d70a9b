/** Figures read off a control plane's /metrics, on its operator port. */

/** control_plane_acquire_total of one replica, summed over results. */
export async function acquireCalls(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return [...text.matchAll(/^control_plane_acquire_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}
