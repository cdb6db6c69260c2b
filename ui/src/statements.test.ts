import { describe, expect, it } from "vitest";
import { splitStatements, statementAt } from "./statements";

function texts(text: string): string[] {
  return splitStatements(text).map((span) => text.slice(span.from, span.to));
}

describe("statements of a script", () => {
  it("splits on semicolons and trims space and leading comments", () => {
    expect(texts("SELECT 1;\n\n-- second\nSELECT 2 ;  ")).toEqual(["SELECT 1", "SELECT 2"]);
    expect(texts(";;  ;")).toEqual([]);
    expect(texts("")).toEqual([]);
  });

  it("does not split inside strings, quoted names or comments", () => {
    const script = `SELECT 'a;b', "x;y" FROM t /* ; */ WHERE s = 'it''s;' -- ;\n;SELECT 2`;
    expect(texts(script)).toEqual([`SELECT 'a;b', "x;y" FROM t /* ; */ WHERE s = 'it''s;' -- ;`, "SELECT 2"]);
  });

  it("finds the statement under the cursor, the one just ended right after its semicolon", () => {
    const script = "SELECT 1;\nSELECT 2;\n\nSELECT 3";
    const at = (pos: number) => {
      const span = statementAt(script, pos);
      return span ? script.slice(span.from, span.to) : null;
    };
    expect(at(0)).toBe("SELECT 1");
    expect(at(script.indexOf(";") + 1)).toBe("SELECT 1");
    expect(at(script.indexOf("SELECT 2") + 3)).toBe("SELECT 2");
    expect(at(script.indexOf("\n\n") + 1)).toBe("SELECT 3");
    expect(at(script.length)).toBe("SELECT 3");
    expect(statementAt("  -- nothing\n", 3)).toBeNull();
  });
});
