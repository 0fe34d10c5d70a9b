/**
 * PriceService: the price table, proto ↔ the price store, nothing more. A
 * refused field comes back as INVALID_ARGUMENT naming it; what a price may be
 * is price-record's, how a LiteLLM table is read is litellm-prices'. The store
 * announces each change, so the next request on every replica is priced at
 * it; the audit interceptor records the writes.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Platform, PriceSource, type ModelPriceSchema, type PriceRates, type PriceRatesSchema, type PriceService } from "@claude-relay/proto/admin";
import type { PlatformName } from "../../providers/account-types.js";
import { platformFromProto, platformToProto } from "../../providers/platform-proto.js";
import { countSkipReasons, LiteLlmFormatError, parseLiteLlmPrices } from "../../usage/litellm-prices.js";
import type { PriceRecord, UsdPrice, UsdRates } from "../../usage/price-record.js";
import { PriceInputError, type PriceStore } from "../../usage/price-store.js";
import { checkNonEmpty, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createPriceService. */
export interface PriceServiceDeps {
  prices: PriceStore;
}

/** The PriceService implementation. */
export function createPriceService({ prices }: PriceServiceDeps): ServiceImpl<typeof PriceService> {
  return {
    async listPrices() {
      return { prices: (await prices.list()).map((record) => toModelPriceMessage(record, prices.isShipped(record.model))) };
    },

    async setPrice(req) {
      const model = checkNonEmpty("model", req.model);
      if (req.rates === undefined) throw invalidArgument("rates", "must be set");
      let platform: PlatformName | undefined;
      if (req.platform !== Platform.UNSPECIFIED) {
        platform = platformFromProto(req.platform);
        if (platform === undefined) throw invalidArgument("platform", "is not a platform served here");
      }
      const price: UsdPrice = fromRates(req.rates);
      if (req.longPrompt && req.longPrompt.rates === undefined) throw invalidArgument("long_prompt.rates", "must be set");
      if (req.longPrompt) price.longPrompt = { aboveTokens: Number(req.longPrompt.aboveTokens), ...fromRates(req.longPrompt.rates) };
      const record = await refusingBadInput(() => prices.set({ model, price, ...(platform && { platform }) }));
      return { price: toModelPriceMessage(record, prices.isShipped(record.model)) };
    },

    async deletePrice(req) {
      const model = checkNonEmpty("model", req.model);
      const deletion = await prices.delete(model);
      if (deletion.status === "missing") throw notFound("price of model", model);
      if (deletion.status === "not-admin") throw new ConnectError("the model has its shipped price; only an admin price can be deleted", Code.FailedPrecondition);
      return { ...(deletion.restored && { price: toModelPriceMessage(deletion.restored, true) }) };
    },

    async importPrices(req) {
      let parsed: ReturnType<typeof parseLiteLlmPrices>;
      try {
        parsed = parseLiteLlmPrices(req.json);
      } catch (err) {
        if (err instanceof LiteLlmFormatError) throw invalidArgument("json", err.message);
        throw err;
      }
      const records = await refusingBadInput(() => prices.setMany(parsed.prices));
      return {
        imported: records.length,
        skipped: parsed.skipped.length,
        models: records.map((r) => r.model),
        skipReasons: countSkipReasons(parsed.skipped),
      };
    },
  };
}

/** The admin ModelPrice message of a record. */
export function toModelPriceMessage(record: PriceRecord, shipped: boolean): MessageInitShape<typeof ModelPriceSchema> {
  const { price } = record;
  return {
    model: record.model,
    platform: record.platform ? platformToProto(record.platform) : Platform.UNSPECIFIED,
    source: record.source === "shipped" ? PriceSource.SHIPPED : PriceSource.ADMIN,
    rates: toRates(price),
    ...(price.longPrompt && { longPrompt: { aboveTokens: BigInt(price.longPrompt.aboveTokens), rates: toRates(price.longPrompt) } }),
    ...(record.updatedAtMs > 0 && { updatedAt: timestampFromMs(record.updatedAtMs) }),
    shipped,
  };
}

function toRates(rates: UsdRates): MessageInitShape<typeof PriceRatesSchema> {
  return {
    input: rates.input,
    output: rates.output,
    cacheWriteFiveMinutes: rates.cacheWrite5m,
    cacheWriteOneHour: rates.cacheWrite1h,
    cacheRead: rates.cacheRead,
  };
}

function fromRates(rates: PriceRates | undefined): UsdRates {
  // Only called with rates set (checked above); a missing one would read as zeros.
  return {
    input: rates?.input ?? 0,
    output: rates?.output ?? 0,
    cacheWrite5m: rates?.cacheWriteFiveMinutes ?? 0,
    cacheWrite1h: rates?.cacheWriteOneHour ?? 0,
    cacheRead: rates?.cacheRead ?? 0,
  };
}

async function refusingBadInput<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof PriceInputError) throw invalidArgument(err.field, err.problem);
    throw err;
  }
}
