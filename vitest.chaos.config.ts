import { defineConfig } from "vitest/config";

/**
 * The fault suite (`npm run test:chaos`): real redis-server, control-plane and relay processes
 * built from dist/, the mock upstream, all on loopback. One file at a time, since each scenario
 * measures processes that a neighbour would slow down. `chaos/quick.test.ts` is left out here:
 * it repeats two of these scenarios in small, and runs with every `npm test`.
 */
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "chaos",
    include: ["chaos/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "chaos/quick.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
