// Which pages of a result to fetch for the rows in view. Pages are fixed
// blocks of `pageSize` rows; each is fetched at most once per result.

export type PageState = "loading" | "loaded" | "failed";

export interface PageRequest {
  page: number;
  offset: number;
  limit: number;
}

/** Page numbers covering rows `first..=last` (clamped to the result). */
export function pagesForRange(first: number, last: number, pageSize: number, rowCount: number): number[] {
  if (rowCount <= 0 || pageSize <= 0 || last < first) return [];
  const start = Math.max(0, Math.floor(first));
  const end = Math.min(rowCount - 1, Math.floor(last));
  if (end < start) return [];
  const pages: number[] = [];
  for (let page = Math.floor(start / pageSize); page <= Math.floor(end / pageSize); page += 1) {
    pages.push(page);
  }
  return pages;
}

export class PageCache<Row> {
  private readonly states = new Map<number, PageState>();
  private readonly rows = new Map<number, Row[]>();

  constructor(
    readonly rowCount: number,
    readonly pageSize: number,
    private readonly maxPages = 100,
  ) {}

  /**
   * The requests needed to show rows `first..=last`. Each returned page is
   * marked loading, so a second call for the same window asks for nothing.
   */
  request(first: number, last: number): PageRequest[] {
    const requests: PageRequest[] = [];
    for (const page of pagesForRange(first, last, this.pageSize, this.rowCount)) {
      if (this.states.has(page)) continue;
      this.states.set(page, "loading");
      const offset = page * this.pageSize;
      requests.push({ page, offset, limit: Math.min(this.pageSize, this.rowCount - offset) });
    }
    return requests;
  }

  /** Stores a fetched page; ignored unless that page was requested. */
  fill(page: number, rows: Row[]): void {
    if (this.states.get(page) !== "loading") return;
    this.states.set(page, "loaded");
    this.rows.set(page, rows);
  }

  /** A failed page is not fetched again for this result. */
  fail(page: number): void {
    if (this.states.get(page) === "loading") this.states.set(page, "failed");
  }

  state(page: number): PageState | undefined {
    return this.states.get(page);
  }

  row(index: number): Row | undefined {
    if (index < 0 || index >= this.rowCount) return undefined;
    return this.rows.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  loadedPages(): number[] {
    return [...this.rows.keys()].sort((a, b) => a - b);
  }

  /**
   * Drops loaded pages farthest from rows `first..=last` once more than
   * `maxPages` are held, so scrolling through millions of rows keeps memory
   * bounded. Dropped pages are fetched again if they come back into view.
   */
  evict(first: number, last: number): number[] {
    const excess = this.rows.size - this.maxPages;
    if (excess <= 0) return [];
    const low = Math.floor(first / this.pageSize);
    const high = Math.floor(last / this.pageSize);
    const distance = (page: number) => (page < low ? low - page : page > high ? page - high : 0);
    const victims = [...this.rows.keys()]
      .filter((page) => distance(page) > 0)
      .sort((a, b) => distance(b) - distance(a))
      .slice(0, excess);
    for (const page of victims) {
      this.rows.delete(page);
      this.states.delete(page);
    }
    return victims;
  }
}
