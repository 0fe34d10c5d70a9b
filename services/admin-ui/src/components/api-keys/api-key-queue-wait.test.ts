import { create } from "@bufbuild/protobuf";
import { ApiKeySchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { queueWaitCreateField, queueWaitProblem, queueWaitSecondsOf, queueWaitShown, queueWaitUpdateFields } from "./api-key-queue-wait.js";

const defaultKey = create(ApiKeySchema, { id: "k" });
const neverKey = create(ApiKeySchema, { id: "k", queueWaitMs: 0 });
const patientKey = create(ApiKeySchema, { id: "k", queueWaitMs: 30_000 });

describe("the key form's wait for a free slot", () => {
  it("edits the default as an empty input and a bound in seconds", () => {
    expect(queueWaitSecondsOf(defaultKey)).toBeNull();
    expect(queueWaitSecondsOf(neverKey)).toBe(0);
    expect(queueWaitSecondsOf(create(ApiKeySchema, { queueWaitMs: 1_500 }))).toBe(1.5);
  });

  it("sends nothing at creation for the default, and ms otherwise", () => {
    expect(queueWaitCreateField(null)).toEqual({});
    expect(queueWaitCreateField(0)).toEqual({ queueWaitMs: 0 });
    expect(queueWaitCreateField(2.5)).toEqual({ queueWaitMs: 2_500 });
  });

  it("sends an update only when the bound changed, clearing it for an emptied input", () => {
    expect(queueWaitUpdateFields(30, patientKey)).toEqual({});
    expect(queueWaitUpdateFields(null, defaultKey)).toEqual({});
    expect(queueWaitUpdateFields(0, patientKey)).toEqual({ queueWaitMs: 0 });
    expect(queueWaitUpdateFields(45, defaultKey)).toEqual({ queueWaitMs: 45_000 });
    expect(queueWaitUpdateFields(null, neverKey)).toEqual({ clearQueueWaitMs: true });
  });

  it("refuses a negative bound or one over 10 minutes", () => {
    expect(queueWaitProblem(null)).toBeUndefined();
    expect(queueWaitProblem(0)).toBeUndefined();
    expect(queueWaitProblem(600)).toBeUndefined();
    expect(queueWaitProblem(600.5)).toBe("apiKeyForm.queueWaitRange");
    expect(queueWaitProblem(-1)).toBe("apiKeyForm.queueWaitRange");
  });

  it("shows the default, never, or the seconds", () => {
    expect(queueWaitShown(defaultKey)).toEqual({ kind: "default" });
    expect(queueWaitShown(neverKey)).toEqual({ kind: "never" });
    expect(queueWaitShown(patientKey)).toEqual({ kind: "seconds", seconds: 30 });
  });
});
