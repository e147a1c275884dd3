// A small markdown renderer that builds DOM nodes (never HTML strings), so runbooks and notes cannot inject markup.
import { h, type Child } from './dom.js';

/**
 * Renders headings, paragraphs, lists, fenced code, quotes, and inline code, bold, italic and http(s)
 * links. Everything else shows as text.
 * @example container.append(renderMarkdown('Check **openai** status'))
 */
export function renderMarkdown(source: string): HTMLElement {
  const root = h('div', { class: 'markdown' });
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let position = 0;
  while (position < lines.length) {
    const line = lines[position] ?? '';
    if (line.trim() === '') {
      position += 1;
      continue;
    }
    if (line.startsWith('```')) {
      const code: string[] = [];
      position += 1;
      while (position < lines.length && !(lines[position] ?? '').startsWith('```'))
        code.push(lines[position++] ?? '');
      position += 1;
      root.append(h('pre', {}, h('code', {}, code.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading !== null) {
      const level = Math.min(6, (heading[1] ?? '#').length + 2) as 3 | 4 | 5 | 6;
      root.append(h(`h${level}`, {}, renderInline(heading[2] ?? '')));
      position += 1;
      continue;
    }
    const listMatch = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
    if (listMatch !== null) {
      const ordered = /\d/.test(listMatch[1] ?? '');
      const list = h(ordered ? 'ol' : 'ul', {});
      while (position < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[position] ?? '')) {
        list.append(h('li', {}, renderInline((lines[position] ?? '').replace(/^\s*([-*+]|\d+[.)])\s+/, ''))));
        position += 1;
      }
      root.append(list);
      continue;
    }
    if (line.trimStart().startsWith('|')) {
      const rows: string[][] = [];
      while (position < lines.length && (lines[position] ?? '').trimStart().startsWith('|'))
        rows.push(splitTableRow(lines[position++] ?? ''));
      root.append(renderTable(rows));
      continue;
    }
    if (line.startsWith('>')) {
      const quoted: string[] = [];
      while (position < lines.length && (lines[position] ?? '').startsWith('>'))
        quoted.push((lines[position++] ?? '').replace(/^>\s?/, ''));
      root.append(h('blockquote', {}, renderInline(quoted.join(' '))));
      continue;
    }
    const paragraph: string[] = [];
    while (
      position < lines.length &&
      (lines[position] ?? '').trim() !== '' &&
      !isBlockStart(lines[position] ?? '')
    )
      paragraph.push(lines[position++] ?? '');
    root.append(h('p', {}, renderInline(paragraph.join(' '))));
  }
  return root;
}

/** `| a | b |` as its cells (a `\\|` stays a bar inside a cell). */
function splitTableRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function renderTable(rows: string[][]): HTMLElement {
  const isSeparator = (row: string[]) => row.every((cell) => /^:?-{3,}:?$/.test(cell));
  const [header, ...rest] = rows;
  const hasHeader = rest[0] !== undefined && isSeparator(rest[0]);
  const body = (hasHeader ? rest.slice(1) : rows).filter((row) => !isSeparator(row));
  return h(
    'table',
    { class: 'markdown-table' },
    hasHeader && header !== undefined
      ? h(
          'thead',
          {},
          h(
            'tr',
            {},
            header.map((cell) => h('th', {}, renderInline(cell))),
          ),
        )
      : null,
    h(
      'tbody',
      {},
      body.map((row) =>
        h(
          'tr',
          {},
          row.map((cell) => h('td', {}, renderInline(cell))),
        ),
      ),
    ),
  );
}

function isBlockStart(line: string): boolean {
  return (
    line.trimStart().startsWith('|') ||
    line.startsWith('```') ||
    /^#{1,6}\s/.test(line) ||
    /^\s*([-*+]|\d+[.)])\s+/.test(line) ||
    line.startsWith('>')
  );
}

const inlinePattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;

/** Inline spans, left to right; text between them stays text nodes. */
export function renderInline(text: string): Child[] {
  const parts: Child[] = [];
  let rest = text;
  for (;;) {
    const match = inlinePattern.exec(rest);
    if (match === null) {
      if (rest !== '') parts.push(rest);
      return parts;
    }
    if (match.index > 0) parts.push(rest.slice(0, match.index));
    const token = match[0];
    if (match[1] !== undefined) parts.push(h('code', {}, token.slice(1, -1)));
    else if (match[2] !== undefined) parts.push(h('strong', {}, renderInline(token.slice(2, -2))));
    else if (match[3] !== undefined) parts.push(h('em', {}, renderInline(token.slice(1, -1))));
    else {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token);
      const href = link?.[2] ?? '';
      parts.push(
        /^https?:\/\//i.test(href)
          ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, link?.[1] ?? href)
          : (link?.[1] ?? token),
      );
    }
    rest = rest.slice(match.index + token.length);
  }
}
