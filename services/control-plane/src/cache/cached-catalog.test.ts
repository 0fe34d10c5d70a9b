import { createMetricsRegistry } from "@claude-relay/metrics";
import { describe, expect, it } from "vitest";
import type { AccountCredential, AccountRecord } from "../accounts/account-store.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { LeaseCatalog } from "../leases/acquire-lease.js";
import type { ModelAliasCatalog, ModelAliasRecord } from "../models/model-alias.js";
import { createCachedCatalog } from "./cached-catalog.js";
import type { Invalidation } from "./invalidation.js";

const HASH = "a".repeat(64);

function keyRecord(id: string, name = "k"): ApiKeyRecord {
  const record: Partial<ApiKeyRecord> = { id, name, keyPrefix: "cr_abcd", keyHash: HASH, enabled: true, createdAtMs: 1, expiresAtMs: 0, concurrencyLimit: 0, allowedModels: [], revokedAtMs: 0 };
  return record as ApiKeyRecord;
}

function account(id: string, name = "acct"): AccountRecord {
  const record: Partial<AccountRecord> = {
    id,
    name,
    type: "claude-console",
    baseUrl: "https://api.anthropic.com",
    priority: 50,
    maxConcurrentTasks: 0,
    schedulable: true,
    proxyUrl: "",
    createdAtMs: 1,
    lastUsedAtMs: 0,
    tokenExpiresAtMs: 0,
  };
  return record as AccountRecord;
}

/** A source whose answers the test controls, counting every call. */
function fakeSource() {
  const state = {
    key: keyRecord("key-1") as ApiKeyRecord | undefined,
    accounts: [account("acct-1")],
    credential: { kind: "api-key", apiKey: "sk-1" } as AccountCredential,
    calls: { key: 0, accounts: 0, credential: 0 },
    /** When set, loads wait for this promise before answering. */
    gate: undefined as Promise<void> | undefined,
  };
  const source: LeaseCatalog & { extra(): string } = {
    async findKeyByHash() {
      state.calls.key++;
      const answer = state.key;
      await state.gate;
      return answer;
    },
    async listAccounts() {
      state.calls.accounts++;
      const answer = state.accounts;
      await state.gate;
      return answer;
    },
    async credential() {
      state.calls.credential++;
      return state.credential;
    },
    extra: () => "passed through",
  };
  return { state, source };
}

function fakeInvalidation(live = true) {
  const listeners = new Set<(i: Invalidation) => void>();
  return {
    live,
    onInvalidate(listener: (i: Invalidation) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    send(invalidation: Invalidation) {
      for (const listener of listeners) listener(invalidation);
    },
  };
}

describe("createCachedCatalog", () => {
  it("answers repeated reads from memory after the first load", async () => {
    const { state, source } = fakeSource();
    const catalog = createCachedCatalog({ source, invalidation: fakeInvalidation() });
    for (let i = 0; i < 3; i++) {
      expect((await catalog.findKeyByHash(HASH))?.id).toBe("key-1");
      expect(await catalog.listAccounts()).toHaveLength(1);
      expect(await catalog.credential("acct-1")).toEqual({ kind: "api-key", apiKey: "sk-1" });
    }
    expect(state.calls).toEqual({ key: 1, accounts: 1, credential: 1 });
  });

  it("remembers that a hash matched no key until any key changes", async () => {
    const { state, source } = fakeSource();
    const invalidation = fakeInvalidation();
    state.key = undefined;
    const catalog = createCachedCatalog({ source, invalidation });
    expect(await catalog.findKeyByHash(HASH)).toBeUndefined();
    expect(await catalog.findKeyByHash(HASH)).toBeUndefined();
    expect(state.calls.key).toBe(1);
    state.key = keyRecord("new-key");
    invalidation.send({ kind: "api-key", id: "new-key" });
    expect((await catalog.findKeyByHash(HASH))?.id).toBe("new-key");
  });

  it("drops only what a change names: an account change keeps keys and other credentials", async () => {
    const { state, source } = fakeSource();
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation });
    await Promise.all([catalog.findKeyByHash(HASH), catalog.listAccounts(), catalog.credential("acct-1"), catalog.credential("acct-2")]);
    state.accounts = [account("acct-1", "renamed")];
    state.credential = { kind: "api-key", apiKey: "sk-rotated" };
    invalidation.send({ kind: "account", id: "acct-1" });
    expect((await catalog.listAccounts())[0]?.name).toBe("renamed");
    expect(await catalog.credential("acct-1")).toEqual({ kind: "api-key", apiKey: "sk-rotated" });
    expect(await catalog.credential("acct-2")).toEqual({ kind: "api-key", apiKey: "sk-1" });
    await catalog.findKeyByHash(HASH);
    expect(state.calls).toEqual({ key: 1, accounts: 2, credential: 3 });
  });

  it("does not keep a load that an invalidation overtook, yet hands it to its caller", async () => {
    const { state, source } = fakeSource();
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation });
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const stale = catalog.listAccounts();
    state.gate = undefined;
    state.accounts = [account("acct-1", "changed")];
    invalidation.send({ kind: "account", id: "acct-1" });
    // A read after the change must not join the load that started before it.
    expect((await catalog.listAccounts())[0]?.name).toBe("changed");
    // The older load finishes last; it must not overwrite the newer entry.
    open();
    expect((await stale)[0]?.name).toBe("acct");
    expect((await catalog.listAccounts())[0]?.name).toBe("changed");
    expect(state.calls.accounts).toBe(2);
  });

  it("shares one load between concurrent misses", async () => {
    const { state, source } = fakeSource();
    const catalog = createCachedCatalog({ source, invalidation: fakeInvalidation() });
    const answers = await Promise.all(Array.from({ length: 20 }, () => catalog.findKeyByHash(HASH)));
    expect(answers.every((a) => a?.id === "key-1")).toBe(true);
    expect(state.calls.key).toBe(1);
  });

  it("reads through to the source while the invalidation channel is not live", async () => {
    const { state, source } = fakeSource();
    const invalidation = fakeInvalidation(false);
    const catalog = createCachedCatalog({ source, invalidation });
    await catalog.listAccounts();
    await catalog.listAccounts();
    expect(state.calls.accounts).toBe(2);
    invalidation.live = true;
    await catalog.listAccounts();
    await catalog.listAccounts();
    expect(state.calls.accounts).toBe(3);
  });

  it("drops everything on an 'all' invalidation", async () => {
    const { state, source } = fakeSource();
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation });
    await Promise.all([catalog.findKeyByHash(HASH), catalog.listAccounts(), catalog.credential("acct-1")]);
    invalidation.send("all");
    await Promise.all([catalog.findKeyByHash(HASH), catalog.listAccounts(), catalog.credential("acct-1")]);
    expect(state.calls).toEqual({ key: 2, accounts: 2, credential: 2 });
  });

  it("loads an entry again once it is older than maxAgeMs", async () => {
    const { state, source } = fakeSource();
    let clock = 1_000;
    const catalog = createCachedCatalog({ source, invalidation: fakeInvalidation(), maxAgeMs: 500, now: () => clock });
    await catalog.listAccounts();
    clock += 499;
    await catalog.listAccounts();
    expect(state.calls.accounts).toBe(1);
    clock += 1;
    await catalog.listAccounts();
    expect(state.calls.accounts).toBe(2);
  });

  it("keeps at most maxKeys key entries, evicting the oldest", async () => {
    const { state, source } = fakeSource();
    const catalog = createCachedCatalog({ source, invalidation: fakeInvalidation(), maxKeys: 2 });
    for (const hash of ["1", "2", "3"]) await catalog.findKeyByHash(hash.repeat(64));
    expect(state.calls.key).toBe(3);
    await catalog.findKeyByHash("3".repeat(64));
    await catalog.findKeyByHash("2".repeat(64));
    expect(state.calls.key).toBe(3);
    await catalog.findKeyByHash("1".repeat(64));
    expect(state.calls.key).toBe(4);
  });

  it("stops listening after stop() and passes unknown methods through", async () => {
    const { state, source } = fakeSource();
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation });
    expect(catalog.extra()).toBe("passed through");
    await catalog.listAccounts();
    catalog.stop();
    invalidation.send("all");
    await catalog.listAccounts();
    expect(state.calls.accounts).toBe(1);
  });

  it("counts hits, misses and bypasses on the registry", async () => {
    const { source } = fakeSource();
    const registry = createMetricsRegistry("control-plane");
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation, registry });
    await catalog.listAccounts();
    await catalog.listAccounts();
    invalidation.live = false;
    await catalog.listAccounts();
    const text = await registry.metrics();
    expect(text).toMatch(/control_plane_catalog_cache_total\{cache="accounts",result="miss"[^}]*\} 1/);
    expect(text).toMatch(/control_plane_catalog_cache_total\{cache="accounts",result="hit"[^}]*\} 1/);
    expect(text).toMatch(/control_plane_catalog_cache_total\{cache="accounts",result="bypass"[^}]*\} 1/);
  });
});

describe("createCachedCatalog with a model alias table", () => {
  /** A source with an alias table, counting its loads. */
  function aliasSource() {
    const { state, source } = fakeSource();
    const aliases = { table: [{ alias: "gpt-4o", targetModel: "claude-sonnet-4-5", platform: "claude", updatedAtMs: 1 }] as ModelAliasRecord[], loads: 0 };
    const withAliases: LeaseCatalog & ModelAliasCatalog = {
      ...source,
      async listModelAliases() {
        aliases.loads++;
        return aliases.table;
      },
    };
    return { state, aliases, source: withAliases };
  }

  it("answers the alias table from memory until an alias changes, and keeps the rest", async () => {
    const { state, aliases, source } = aliasSource();
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation });
    await Promise.all([catalog.listModelAliases(), catalog.listAccounts(), catalog.findKeyByHash(HASH)]);
    expect(await catalog.listModelAliases()).toHaveLength(1);
    expect(aliases.loads).toBe(1);

    aliases.table = [...aliases.table, { alias: "o3", targetModel: "claude-opus-4-1", platform: "claude", updatedAtMs: 2 }];
    invalidation.send({ kind: "model-alias", id: "o3" });
    expect((await catalog.listModelAliases()).map((a) => a.alias)).toEqual(["gpt-4o", "o3"]);
    await Promise.all([catalog.listAccounts(), catalog.findKeyByHash(HASH)]);
    expect(aliases.loads).toBe(2);
    expect(state.calls).toMatchObject({ key: 1, accounts: 1 });
  });

  it("keeps the alias table across account and key changes, and drops it on 'all'", async () => {
    const { aliases, source } = aliasSource();
    const invalidation = fakeInvalidation();
    const catalog = createCachedCatalog({ source, invalidation });
    await catalog.listModelAliases();
    invalidation.send({ kind: "account", id: "acct-1" });
    invalidation.send({ kind: "api-key", id: "key-1" });
    await catalog.listModelAliases();
    expect(aliases.loads).toBe(1);
    invalidation.send("all");
    await catalog.listModelAliases();
    expect(aliases.loads).toBe(2);
  });

  it("reads the alias table through while the channel is not live, and counts it as model_aliases", async () => {
    const { aliases, source } = aliasSource();
    const registry = createMetricsRegistry("control-plane");
    const invalidation = fakeInvalidation(false);
    const catalog = createCachedCatalog({ source, invalidation, registry });
    await catalog.listModelAliases();
    await catalog.listModelAliases();
    expect(aliases.loads).toBe(2);
    invalidation.live = true;
    await Promise.all([catalog.listModelAliases(), catalog.listModelAliases()]);
    expect(aliases.loads).toBe(3);
    const text = await registry.metrics();
    expect(text).toMatch(/control_plane_catalog_cache_total\{cache="model_aliases",result="bypass"[^}]*\} 2/);
    expect(text).toMatch(/control_plane_catalog_cache_total\{cache="model_aliases",result="miss"[^}]*\} 1/);
    expect(text).toMatch(/control_plane_catalog_cache_total\{cache="model_aliases",result="hit"[^}]*\} 1/);
  });

  it("has no alias method when the source has none", () => {
    const { source } = fakeSource();
    expect("listModelAliases" in createCachedCatalog({ source, invalidation: fakeInvalidation() })).toBe(false);
  });
});
