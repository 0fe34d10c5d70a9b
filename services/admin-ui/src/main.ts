/**
 * Entry: the app with pinia, the router, i18n and Element Plus, and the
 * admin API transport provided to every component.
 */
import ElementPlus from "element-plus";
import "element-plus/dist/index.css";
import { createPinia } from "pinia";
import { createApp } from "vue";
import { createAdminTransport, transportKey } from "./api/transport.js";
import App from "./App.vue";
import { createAppI18n } from "./i18n/index.js";
import { createAppRouter } from "./router/index.js";
import { usePreferencesStore } from "./stores/preferences.js";
import { useSessionStore } from "./stores/session.js";
import "./styles.css";

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
const session = useSessionStore(pinia);
const router = createAppRouter(session);
const transport = createAdminTransport({
  baseUrl: location.origin,
  getToken: () => session.token,
  onUnauthenticated: () => {
    session.clear();
    const current = router.currentRoute.value;
    if (current.name !== "login") void router.push({ name: "login", query: { redirect: current.fullPath } });
  },
});

app.use(router);
app.use(createAppI18n(usePreferencesStore(pinia).locale));
app.use(ElementPlus);
app.provide(transportKey, transport);
app.mount("#app");
