/**
 * Builds the admin SPA for serving under /admin/ by the control plane. In
 * development, `vite` proxies the admin API and /readyz to a running control
 * plane (ADMIN_API_URL, default http://127.0.0.1:8081).
 */
import vue from "@vitejs/plugin-vue";
import { defaultClientConditions, defineConfig, type ProxyOptions } from "vite";

const apiTarget = process.env.ADMIN_API_URL ?? "http://127.0.0.1:8081";
const toApi: ProxyOptions = { target: apiTarget, changeOrigin: true };

export default defineConfig({
  base: "/admin/",
  plugins: [vue()],
  // Workspace packages (the generated proto code) are compiled from their TypeScript sources.
  resolve: { conditions: ["source", ...defaultClientConditions] },
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    proxy: {
      "^/claude_relay\\.admin\\.v1\\.": toApi,
      "/readyz": toApi,
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Element Plus is one large chunk by design; splitting it buys nothing for an admin page.
    chunkSizeWarningLimit: 1500,
  },
});
