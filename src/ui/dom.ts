// Tiny DOM helpers: elements are built with properties and text nodes, never from HTML strings.

/** Attributes and handlers an element is built with; `on*` functions become listeners. */
export type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** A child: a node, text (always a text node, so never parsed as HTML), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Builds an element.
 * @example h('button', { class: 'primary', onclick: () => save() }, 'Save')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Appends children (flattened); strings become text nodes. */
export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A labelled figure: the raw value rides along in `data-value` for tests and tooltips. */
export function stat(options: {
  label: string;
  value: string;
  raw?: number | null;
  testId?: string;
  hint?: string;
}) {
  return h(
    'div',
    { class: 'stat', 'data-testid': options.testId, title: options.hint },
    h('div', { class: 'stat-label' }, options.label),
    h(
      'div',
      {
        class: 'stat-value',
        'data-value': options.raw === null || options.raw === undefined ? '' : options.raw,
      },
      options.value,
    ),
  );
}

/** A card with a heading. */
export function card(title: string, ...children: (Child | Child[])[]) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** A table from a header row and body rows. */
export function table(headers: string[], rows: (Child | Child[])[][], attributes: Attributes = {}) {
  return h(
    'table',
    attributes,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((header) => h('th', {}, header)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, 'Nothing in this range.'))
        : rows.map((cells) =>
            h(
              'tr',
              {},
              cells.map((cell) => h('td', {}, cell)),
            ),
          ),
    ),
  );
}

/** A coloured status pill (`OK`, `ALERT`, `open`, `SEV-1`...). */
export function pill(text: string, tone?: string) {
  return h('span', { class: `pill pill-${(tone ?? text).toLowerCase()}` }, text);
}
