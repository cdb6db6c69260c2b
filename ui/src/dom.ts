// Building the window's elements: text is only ever set with textContent, never as HTML.

/** A `tag` element with `className` and, when given, `text`. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
