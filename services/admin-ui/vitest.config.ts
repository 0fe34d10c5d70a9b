/** The admin UI's unit tests: Vue single-file components in happy-dom, workspace packages from source. */
import vue from "@vitejs/plugin-vue";
import { defaultClientConditions } from "vite";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [vue()],
  resolve: { conditions: ["source", ...defaultClientConditions] },
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  test: {
    name: "admin-ui",
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
  },
});
