import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Workspace packages resolve to their TypeScript sources in tests (the "source"
        // export condition), so tests never depend on a stale dist/.
        resolve: { conditions: ["source"] },
        ssr: { resolve: { conditions: ["source"] } },
        test: {
          name: "node",
          include: ["shared/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "cli/src/**/*.test.ts", "e2e/tests/**/*.test.ts", "helm/tests/**/*.test.ts", "deploy/tests/**/*.test.ts", "chaos/quick*.test.ts", "bench/support/**/*.test.ts"],
          // The admin UI runs in its own project (Vue plugin, happy-dom): services/admin-ui/vitest.config.ts.
          exclude: ["**/node_modules/**", "**/dist/**", "services/admin-ui/**"],
          pool: "forks",
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      "services/admin-ui",
    ],
  },
});
