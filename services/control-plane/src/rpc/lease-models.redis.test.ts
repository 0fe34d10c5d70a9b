/**
 * ListModels through the gRPC lease service over a real Redis: the models a
 * client key may use, from the price tables and the alias table, narrowed by
 * the key's platforms and model patterns; a key that may not be used at all
 * gets the refusal Acquire would give.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ListModelsRequestSchema, Platform, RefusalReason, type ListModelsResponse, type ServedModel } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey, type NewApiKey } from "../keys/api-key-store.js";
import { platformOfModel } from "../models/model-alias.js";
import { loadPriceTable } from "../usage/pricing.js";
import { startHarness, TOKEN, type Harness } from "./lease-server.test-helper.js";

let redisServer: TestRedis;
let h: Harness;
const PRICED = [...loadPriceTable().models.keys()];
/** The priced models listed without an OpenAI account in the pool: every one but OpenAI's. */
const LISTED = PRICED.filter((id) => platformOfModel(id) !== "openai");

beforeAll(async () => {
  redisServer = await startRedis();
});

beforeEach(async () => {
  h = await startHarness(redisServer.url);
  await h.aliases.set("gpt-4o", "claude-sonnet-4-5");
  await h.aliases.set("gpt-4o-mini", "gemini-2.5-flash");
  await h.aliases.set("o3", "claude-opus-4-1");
  await h.aliases.set("team/pro", "gemini-2.5-pro");
  return () => h.close();
});

afterAll(async () => {
  await redisServer?.close();
});

function listModels(keyHash: string, token: string | null = TOKEN): Promise<ListModelsResponse> {
  const metadata = new grpc.Metadata();
  if (token !== null) metadata.set("x-internal-token", token);
  const request = create(ListModelsRequestSchema, { keyHash });
  return new Promise((resolve, reject) =>
    (h.client as unknown as { listModels: Function }).listModels(request, metadata, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: ListModelsResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function modelsOf(res: ListModelsResponse): ServedModel[] {
  if (res.result.case !== "models") throw new Error(`expected models, got ${res.result.case}: ${JSON.stringify(res.result.value)}`);
  return res.result.value.models;
}

const ids = (models: ServedModel[]) => models.map((m) => m.id);

async function clientKey(over: Partial<NewApiKey> = {}): Promise<string> {
  return hashApiKey((await h.apiKeys.create({ name: "k", ...over })).plaintextKey);
}

describe("ListModels", () => {
  it("offers a key open to everything every priced model and every alias, sorted by id, each with its platform and upstream model", async () => {
    const models = modelsOf(await listModels(await clientKey()));
    const expected = [...LISTED, "gpt-4o", "gpt-4o-mini", "o3", "team/pro"].sort((a, b) => (a < b ? -1 : 1));
    expect(ids(models)).toEqual(expected);
    expect(models.find((m) => m.id === "gpt-4o")).toMatchObject({ platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" });
    expect(models.find((m) => m.id === "team/pro")).toMatchObject({ platform: Platform.GEMINI, upstreamModel: "gemini-2.5-pro" });
    expect(models.find((m) => m.id === "claude-sonnet-4-5")).toMatchObject({ platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" });
    expect(models.find((m) => m.id === "gemini-2.5-flash")).toMatchObject({ platform: Platform.GEMINI, upstreamModel: "gemini-2.5-flash" });
  });

  it("offers OpenAI's priced models once the pool has an OpenAI account, an alias of the same name in its place", async () => {
    const keyHash = await clientKey();
    expect(ids(modelsOf(await listModels(keyHash))).filter((id) => platformOfModel(id) === "openai")).toEqual(["gpt-4o", "gpt-4o-mini", "o3"]);
    await h.accounts.create({ name: "openai", type: "openai-api", credential: { kind: "api-key", apiKey: "sk-openai" } });
    const models = modelsOf(await listModels(keyHash));
    expect(models.find((m) => m.id === "gpt-5")).toMatchObject({ platform: Platform.OPENAI, upstreamModel: "gpt-5" });
    expect(models.find((m) => m.id === "o4-mini")).toMatchObject({ platform: Platform.OPENAI, upstreamModel: "o4-mini" });
    // "gpt-4o" and "o3" are aliases of Claude models here: the alias wins, once.
    expect(models.filter((m) => m.id === "gpt-4o")).toEqual([expect.objectContaining({ platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" })]);
    expect(models.filter((m) => m.id === "o3")).toEqual([expect.objectContaining({ platform: Platform.CLAUDE, upstreamModel: "claude-opus-4-1" })]);
    // A key that may not use OpenAI sees none of its models.
    const claudeOnly = modelsOf(await listModels(await clientKey({ platforms: ["claude"] })));
    expect(claudeOnly.some((m) => m.platform === Platform.OPENAI)).toBe(false);
  });

  it("shows a key limited to Gemini only Gemini models and the aliases that target Gemini", async () => {
    const models = modelsOf(await listModels(await clientKey({ platforms: ["gemini"] })));
    expect(models.length).toBeGreaterThan(2);
    expect(models.every((m) => m.platform === Platform.GEMINI)).toBe(true);
    expect(ids(models).filter((id) => !id.startsWith("gemini-"))).toEqual(["gpt-4o-mini", "team/pro"]);
    expect(ids(models)).toEqual(expect.arrayContaining(PRICED.filter((id) => id.startsWith("gemini-"))));
  });

  it("filters by the key's allowed model patterns, an alias by its target", async () => {
    const exact = modelsOf(await listModels(await clientKey({ allowedModels: ["claude-sonnet-4-5", "gemini-2.5-flash"] })));
    expect(ids(exact)).toEqual(["claude-sonnet-4-5", "gemini-2.5-flash", "gpt-4o", "gpt-4o-mini"]);

    const opus = modelsOf(await listModels(await clientKey({ allowedModels: ["claude-opus-*"] })));
    expect(ids(opus)).toContain("o3");
    expect(ids(opus).filter((id) => !id.startsWith("claude-opus-"))).toEqual(["o3"]);

    // Platforms and patterns together: a Claude pattern on a Gemini-only key leaves nothing.
    expect(modelsOf(await listModels(await clientKey({ platforms: ["gemini"], allowedModels: ["claude-*"] })))).toEqual([]);
  });

  it("sees an alias change at once", async () => {
    const keyHash = await clientKey({ platforms: ["claude"] });
    expect(ids(modelsOf(await listModels(keyHash)))).toContain("gpt-4o");
    await h.aliases.set("gpt-4o", "gemini-2.5-pro");
    expect(ids(modelsOf(await listModels(keyHash)))).not.toContain("gpt-4o");
    await h.aliases.delete("o3");
    expect(ids(modelsOf(await listModels(keyHash))).filter((id) => !id.startsWith("claude-"))).toEqual([]);
  });

  it("refuses a key that is unknown, disabled, revoked or expired with KEY_INVALID, as Acquire does", async () => {
    const unknown = await listModels(hashApiKey("cr_not-a-key"));
    expect(unknown.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: "invalid x-api-key" } });

    const { record: disabled, plaintextKey: disabledKey } = await h.apiKeys.create({ name: "off" });
    await h.apiKeys.update(disabled.id, { enabled: false });
    expect((await listModels(hashApiKey(disabledKey))).result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: "this API key is disabled" } });

    const { record: revoked, plaintextKey: revokedKey } = await h.apiKeys.create({ name: "gone" });
    await h.apiKeys.revoke(revoked.id);
    expect((await listModels(hashApiKey(revokedKey))).result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: "this API key has been revoked" } });

    const expired = await clientKey({ expiresAtMs: Date.now() - 1 });
    expect((await listModels(expired)).result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: "this API key has expired" } });

    expect((await listModels("")).result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID } });
  });

  it("needs the internal token, and refuses a key hash that is not one", async () => {
    const keyHash = await clientKey();
    await expect(listModels(keyHash, null)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(listModels(keyHash, "wrong-token-wrong-token-wrong")).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(listModels("not-a-hash")).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "key_hash must be the hex SHA-256 of the client key" });
    // Upper-case hex is the same hash.
    expect((await listModels(keyHash.toUpperCase())).result.case).toBe("models");
  });

  it("times each call under method list_models", async () => {
    await listModels(await clientKey());
    expect(await h.registry.getSingleMetricAsString("control_plane_rpc_duration_seconds")).toMatch(/_count\{[^}]*method="list_models"\} 1/);
  });
});
