import { describe, expect, it } from "vitest";
import { PageCache, pagesForRange } from "./paging";

describe("pagesForRange", () => {
  it("covers a window that spans page boundaries", () => {
    expect(pagesForRange(0, 10, 200, 1000)).toEqual([0]);
    expect(pagesForRange(190, 210, 200, 1000)).toEqual([0, 1]);
    expect(pagesForRange(399, 800, 200, 1000)).toEqual([1, 2, 3, 4]);
  });

  it("clamps to the rows that exist", () => {
    expect(pagesForRange(950, 5000, 200, 1000)).toEqual([4]);
    expect(pagesForRange(-30, 5, 200, 1000)).toEqual([0]);
    expect(pagesForRange(0, 10, 200, 0)).toEqual([]);
    expect(pagesForRange(2000, 2100, 200, 1000)).toEqual([]);
    expect(pagesForRange(10, 5, 200, 1000)).toEqual([]);
  });
});

describe("PageCache", () => {
  it("requests each page once, with the right offset and a short last page", () => {
    const cache = new PageCache<number[]>(450, 200);
    expect(cache.request(0, 30)).toEqual([{ page: 0, offset: 0, limit: 200 }]);
    expect(cache.request(0, 30)).toEqual([]);
    expect(cache.request(180, 420)).toEqual([
      { page: 1, offset: 200, limit: 200 },
      { page: 2, offset: 400, limit: 50 },
    ]);
    expect(cache.request(0, 449)).toEqual([]);
  });

  it("serves rows from filled pages only", () => {
    const cache = new PageCache<number[]>(450, 200);
    cache.request(0, 10);
    expect(cache.row(5)).toBeUndefined();
    cache.fill(0, Array.from({ length: 200 }, (_, i) => [i]));
    expect(cache.row(5)).toEqual([5]);
    expect(cache.row(205)).toBeUndefined();
    expect(cache.row(-1)).toBeUndefined();
    expect(cache.state(0)).toBe("loaded");
  });

  it("ignores a page nobody asked for", () => {
    const cache = new PageCache<number[]>(450, 200);
    cache.fill(1, [[1]]);
    expect(cache.row(200)).toBeUndefined();
    expect(cache.request(200, 210)).toEqual([{ page: 1, offset: 200, limit: 200 }]);
  });

  it("does not ask again for a page that failed", () => {
    const cache = new PageCache<number[]>(450, 200);
    cache.request(0, 10);
    cache.fail(0);
    expect(cache.state(0)).toBe("failed");
    expect(cache.request(0, 10)).toEqual([]);
  });

  it("evicts the pages farthest from view once over its limit, and fetches them again later", () => {
    const cache = new PageCache<number[]>(10_000, 100, 3);
    for (const page of [0, 1, 2, 3, 4]) {
      cache.request(page * 100, page * 100);
      cache.fill(page, [[page]]);
    }
    expect(cache.evict(400, 450)).toEqual([0, 1]);
    expect(cache.loadedPages()).toEqual([2, 3, 4]);
    expect(cache.request(0, 10)).toEqual([{ page: 0, offset: 0, limit: 100 }]);
  });

  it("never evicts a page in view", () => {
    const cache = new PageCache<number[]>(1000, 100, 1);
    for (const page of [0, 1]) {
      cache.request(page * 100, page * 100);
      cache.fill(page, [[page]]);
    }
    expect(cache.evict(0, 199)).toEqual([]);
    expect(cache.loadedPages()).toEqual([0, 1]);
  });
});
