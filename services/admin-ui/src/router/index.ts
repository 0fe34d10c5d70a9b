/**
 * Routes under /admin/ (the control plane serves index.html for every one of
 * them, so deep links and reloads work). Signed-out users are sent to the
 * login page, which sends them back where they were going.
 */
import { createRouter, createWebHistory, type Router, type RouterHistory } from "vue-router";
import AppLayout from "../components/layout/AppLayout.vue";

declare module "vue-router" {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean;
  }
}

/** What the guard needs from the session store. */
export interface RouterSession {
  isSignedIn(): boolean;
}

/** The app's router; `history` defaults to the browser's, under /admin/. */
export function createAppRouter(session: RouterSession, history: RouterHistory = createWebHistory("/admin/")): Router {
  const router = createRouter({
    history,
    routes: [
      { path: "/login", name: "login", component: () => import("../views/LoginView.vue"), meta: { public: true } },
      {
        path: "/",
        component: AppLayout,
        children: [
          { path: "", redirect: { name: "dashboard" } },
          { path: "dashboard", name: "dashboard", component: () => import("../views/DashboardView.vue") },
          { path: "accounts", name: "accounts", component: () => import("../views/AccountsView.vue") },
          { path: "api-keys", name: "api-keys", component: () => import("../views/ApiKeysView.vue") },
          { path: "model-aliases", name: "model-aliases", component: () => import("../views/ModelAliasesView.vue") },
          { path: "prices", name: "prices", component: () => import("../views/PricesView.vue") },
          { path: "sessions", name: "sessions", component: () => import("../views/SessionsView.vue") },
          { path: "connect", name: "connect", component: () => import("../views/ConnectView.vue") },
          { path: "service-tokens", name: "service-tokens", component: () => import("../views/ServiceTokensView.vue") },
          { path: "notifications", name: "notifications", component: () => import("../views/NotificationsView.vue") },
          { path: "audit", name: "audit", component: () => import("../views/AuditLogView.vue") },
          { path: "settings", name: "settings", component: () => import("../views/SettingsView.vue") },
        ],
      },
      { path: "/:unknown(.*)*", redirect: "/dashboard" },
    ],
  });

  router.beforeEach((to) => {
    const signedIn = session.isSignedIn();
    if (to.meta.public) return to.name === "login" && signedIn ? { name: "dashboard" } : true;
    if (signedIn) return true;
    return { name: "login", query: to.fullPath === "/" ? {} : { redirect: to.fullPath } };
  });
  return router;
}
