import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAppI18n } from "../i18n/index.js";
import { RELAY_URL_STORAGE_KEY } from "../stores/preferences.js";
import ConnectView from "./ConnectView.vue";

function render(locale: "en" | "zh-CN" = "en") {
  return mount(ConnectView, { global: { plugins: [createPinia(), createAppI18n(locale), ElementPlus] } });
}

beforeEach(() => localStorage.setItem(RELAY_URL_STORAGE_KEY, "http://relay.test:8080"));
afterEach(() => localStorage.clear());

describe("ConnectView", { timeout: 30_000 }, () => {
  it("lists the Claude clients, then the Gemini CLI in both modes and the Gen AI SDK", async () => {
    const wrapper = render();
    await flushPromises();
    const ids = (platform: string) =>
      wrapper.get(`[data-testid="connect-${platform}"]`).findAll('[data-testid^="snippet-"]').map((el) => el.attributes("data-testid"));
    expect(ids("claude")).toEqual(["snippet-claude-code", "snippet-python", "snippet-typescript", "snippet-curl"]);
    expect(ids("gemini")).toEqual(["snippet-gemini-cli", "snippet-gemini-cli-google", "snippet-genai"]);
    expect(wrapper.get('[data-testid="snippet-genai"]').text()).toContain("Google Gen AI SDK (@google/genai)");
    wrapper.unmount();
  });

  it("lists Codex and the Responses SDKs under OpenAI, filled in with the /openai/v1 URL and the key typed", async () => {
    const wrapper = render();
    await flushPromises();
    const section = wrapper.get('[data-testid="connect-openai"]');
    expect(section.findAll('[data-testid^="snippet-"]').map((el) => el.attributes("data-testid"))).toEqual([
      "snippet-codex-config",
      "snippet-codex",
      "snippet-responses-typescript",
      "snippet-responses-python",
    ]);
    expect(section.get("h3").text()).toBe("OpenAI");
    await wrapper.get('[data-testid="connect-api-key"] input').setValue("cr_typed");
    await flushPromises();
    const config = wrapper.get('[data-testid="snippet-codex-config"]');
    expect(config.text()).toContain("~/.codex/config.toml");
    expect(config.text()).toContain('base_url = "http://relay.test:8080/openai/v1"');
    expect(config.text()).toContain('env_key = "CLAUDE_RELAY_API_KEY"');
    expect(config.text()).not.toContain("cr_typed");
    expect(wrapper.get('[data-testid="snippet-codex"]').text()).toContain("export CLAUDE_RELAY_API_KEY=cr_typed");
    expect(wrapper.get('[data-testid="snippet-responses-typescript"]').text()).toContain('baseURL: "http://relay.test:8080/openai/v1", apiKey: "cr_typed"');
    expect(wrapper.get('[data-testid="snippet-responses-python"]').text()).toContain("served by the OpenAI accounts");
    wrapper.unmount();
  });

  it("lists the OpenAI SDKs and curl against chat completions in their own section, filled in with the /openai/v1 URL and the key typed", async () => {
    const wrapper = render();
    await flushPromises();
    const ids = wrapper.get('[data-testid="connect-openai-chat"]').findAll('[data-testid^="snippet-"]').map((el) => el.attributes("data-testid"));
    expect(ids).toEqual(["snippet-openai-typescript", "snippet-openai-python", "snippet-openai-curl"]);
    expect(wrapper.get('[data-testid="connect-openai-chat"]').text()).toContain("OpenAI-compatible API");
    await wrapper.get('[data-testid="connect-api-key"] input').setValue("cr_typed");
    await flushPromises();
    expect(wrapper.get('[data-testid="snippet-openai-typescript"]').text()).toContain('baseURL: "http://relay.test:8080/openai/v1", apiKey: "cr_typed"');
    expect(wrapper.get('[data-testid="snippet-openai-python"]').text()).toContain('base_url="http://relay.test:8080/openai/v1", api_key="cr_typed"');
    expect(wrapper.get('[data-testid="snippet-openai-curl"]').text()).toContain("curl http://relay.test:8080/openai/v1/chat/completions");
    expect(wrapper.get('[data-testid="snippet-openai-curl"]').text()).toContain("Authorization: Bearer cr_typed");
    expect(wrapper.get('[data-testid="snippet-openai-python"]').text()).toContain("name a claude- or gemini- model, an OpenAI model");
    wrapper.unmount();
  });

  it("fills the Gemini commands with the relay URL and the key typed", async () => {
    const wrapper = render();
    await flushPromises();
    await wrapper.get('[data-testid="connect-api-key"] input').setValue("cr_typed");
    await flushPromises();
    expect(wrapper.get('[data-testid="snippet-gemini-cli"]').text()).toContain(
      "export GOOGLE_GEMINI_BASE_URL=http://relay.test:8080/gemini GEMINI_API_KEY=cr_typed",
    );
    expect(wrapper.get('[data-testid="snippet-gemini-cli-google"]').text()).toContain(
      "GOOGLE_GENAI_USE_GCA=true CODE_ASSIST_ENDPOINT=http://relay.test:8080 GOOGLE_CLOUD_ACCESS_TOKEN=cr_typed",
    );
    expect(wrapper.get('[data-testid="snippet-genai"]').text()).toContain('baseUrl: "http://relay.test:8080/gemini"');
    expect(wrapper.get('[data-testid="snippet-gemini-cli-google"]').text()).toContain("Code Assist endpoint");
    wrapper.unmount();
  });

  it("is translated into Chinese", async () => {
    const wrapper = render("zh-CN");
    await flushPromises();
    expect(wrapper.get('[data-testid="snippet-gemini-cli-google"]').text()).toContain("Google 登录方式");
    expect(wrapper.get('[data-testid="connect-openai-chat"]').text()).toContain("OpenAI 兼容 API");
    expect(wrapper.get('[data-testid="snippet-codex"]').text()).toContain("照常运行 Codex");
    wrapper.unmount();
  });
});
