import { describe, expect, it } from "vitest";
import { currentToken, firstPage, hasNewer, hasOlder, loaded, newer, older, pageNumber } from "./audit-cursor.js";

describe("audit cursor", () => {
  it("starts on page 1 with no token and nowhere to go until the page has loaded", () => {
    const cursor = firstPage();
    expect(currentToken(cursor)).toBe("");
    expect(pageNumber(cursor)).toBe(1);
    expect(hasNewer(cursor)).toBe(false);
    expect(hasOlder(cursor)).toBe(false);
    expect(older(cursor)).toBe(cursor);
  });

  it("goes older with the server's token and back newer with the remembered ones", () => {
    let cursor = loaded(firstPage(), "t1");
    expect(hasOlder(cursor)).toBe(true);
    cursor = loaded(older(cursor), "t2");
    expect([currentToken(cursor), pageNumber(cursor)]).toEqual(["t1", 2]);
    cursor = loaded(older(cursor), "");
    expect([currentToken(cursor), pageNumber(cursor), hasOlder(cursor)]).toEqual(["t2", 3, false]);
    cursor = newer(cursor);
    expect([currentToken(cursor), pageNumber(cursor)]).toEqual(["t1", 2]);
    cursor = newer(cursor);
    expect([currentToken(cursor), pageNumber(cursor), hasNewer(cursor)]).toEqual(["", 1, false]);
    expect(newer(cursor)).toBe(cursor);
  });
});
