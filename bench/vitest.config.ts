import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The benchmark helpers' own unit tests (pure logic). The benchmarks themselves are
// not tests and never run under vitest: `npx vitest run --config bench/vitest.config.ts`.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { conditions: ["source"] },
  test: { include: ["support/**/*.test.ts"] },
});
