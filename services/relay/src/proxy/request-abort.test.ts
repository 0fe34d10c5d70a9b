import { describe, expect, it } from "vitest";
import { createRequestAbort } from "./request-abort.js";

describe("createRequestAbort", () => {
  it("tells its one listener once, with the first reason", () => {
    const abort = createRequestAbort();
    const heard: Array<Error | undefined> = [];
    abort.listen(() => heard.push(abort.reason));
    expect(abort.aborted).toBe(false);
    const first = new Error("client gone");
    abort.abort(first);
    abort.abort(new Error("shutdown"));
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBe(first);
    expect(heard).toEqual([first]);
  });

  it("tells only the listener set last, and none once removed", () => {
    const abort = createRequestAbort();
    const heard: string[] = [];
    abort.listen(() => heard.push("first attempt"));
    abort.listen(() => heard.push("second attempt"));
    abort.listen(undefined);
    abort.abort(new Error("gone"));
    expect(heard).toEqual([]);
  });
});
