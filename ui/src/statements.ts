// Where the statements of a script are, for "run the statement under the cursor". Only `;`
// outside strings, quoted names and comments ends a statement. This only picks which text is
// sent: the gate lints and decides whatever text that is, so a wrong split can never run
// anything the policy refuses.

export interface Span {
  from: number;
  to: number;
}

/**
 * The statements of `text` as UTF-16 ranges, without their `;` and without the blank space and
 * comments-only gaps around them. Empty statements (`;;`) are left out.
 */
export function splitStatements(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const span = trimSpan(text, start, end);
    if (span) spans.push(span);
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "'" || c === '"' || c === "`") {
      i = closingQuote(text, i, c);
    } else if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === ";") {
      push(i);
      i += 1;
      start = i;
    } else {
      i += 1;
    }
  }
  push(text.length);
  return spans;
}

/** Past the quote that closes the one at `open`; a doubled quote is an escaped one. */
function closingQuote(text: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return text.length;
}

/** `[from, to)` without surrounding white space and comments; null when nothing else is left. */
function trimSpan(text: string, from: number, to: number): Span | null {
  let start = from;
  // Leading comments belong to no statement that runs: skip them with the space.
  for (;;) {
    while (start < to && /\s/.test(text[start])) start += 1;
    if (text.startsWith("--", start)) {
      const end = text.indexOf("\n", start);
      start = end < 0 || end > to ? to : end + 1;
    } else if (text.startsWith("/*", start)) {
      const end = text.indexOf("*/", start + 2);
      start = end < 0 || end + 2 > to ? to : end + 2;
    } else {
      break;
    }
  }
  let end = to;
  while (end > start && /\s/.test(text[end - 1])) end -= 1;
  return start < end ? { from: start, to: end } : null;
}

/**
 * The statement the cursor at `pos` is in: the one whose range (stretched over the gap up to and
 * including its `;`) holds `pos`; past the last `;`, the last statement. Null for a text with
 * no statement.
 */
export function statementAt(text: string, pos: number): Span | null {
  const spans = splitStatements(text);
  if (spans.length === 0) return null;
  for (const span of spans) {
    // The cursor right after the `;` (or anywhere before the next statement starts) still
    // means the statement just written, as in other SQL clients.
    const after = text.indexOf(";", span.to);
    const reach = after < 0 ? text.length : after + 1;
    if (pos <= reach) return span;
  }
  return spans[spans.length - 1];
}
