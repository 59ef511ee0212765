// Just enough of CommonMark/GFM to compare a document with its translation: ATX headings, fenced
// code blocks (a '#' line inside a fence is code, not a heading), pipe tables, inline links and
// the anchors a link can point at. Not a renderer: what it reads is what the pair test compares.

export interface Heading {
  level: number;
  text: string;
  line: number;
}

export interface Fence {
  info: string;
  body: string;
  line: number;
  /** Index into `headings` of the heading the block sits under; -1 before the first heading. */
  section: number;
}

export interface Table {
  rows: number;
  columns: number;
  /** The inline code spans of each row's first cell (sorted: a translation may reorder words). */
  keys: string[];
  line: number;
  section: number;
}

export interface Link {
  target: string;
  line: number;
}

export interface MarkdownOutline {
  headings: Heading[];
  fences: Fence[];
  tables: Table[];
  links: Link[];
  /** Every fragment a link may name: heading slugs as GitHub makes them, and explicit `<a id>`s. */
  anchors: Set<string>;
  lines: string[];
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})(.*)$/;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const INLINE_LINK = /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const EXPLICIT_ANCHOR = /<a\s+(?:id|name)="([^"]+)"/g;

export function parseMarkdown(text: string): MarkdownOutline {
  const lines = text.split(/\r?\n/);
  const outline: MarkdownOutline = { headings: [], fences: [], tables: [], links: [], anchors: new Set(), lines };
  const slugCounts = new Map<string, number>();
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const section = outline.headings.length - 1;
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const [, indent, marker, info] = fence as unknown as [string, string, string, string];
      const closing = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !closing.test(lines[j]!)) {
        // Content is compared without the fence's own indentation (a block inside a list item).
        body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart());
        j++;
      }
      outline.fences.push({ info: info.trim(), body: body.join('\n'), line: i + 1, section });
      i = j + 1;
      continue;
    }
    const heading = ATX_HEADING.exec(line);
    if (heading) {
      const text = (heading[2] ?? '').trim();
      outline.headings.push({ level: heading[1]!.length, text, line: i + 1 });
      const slug = githubSlug(text);
      const seen = slugCounts.get(slug) ?? 0;
      slugCounts.set(slug, seen + 1);
      outline.anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
      collectInline(line, i, outline);
      i++;
      continue;
    }
    if (line.trimStart().startsWith('|') && i + 1 < lines.length && TABLE_DELIMITER.test(lines[i + 1]!)) {
      const columns = splitRow(line).length;
      const keys = [codeSpans(splitRow(line)[0] ?? '').join(' ')];
      let j = i + 2;
      while (j < lines.length && lines[j]!.trimStart().startsWith('|')) {
        keys.push(codeSpans(splitRow(lines[j]!)[0] ?? '').join(' '));
        collectInline(lines[j]!, j, outline);
        j++;
      }
      collectInline(line, i, outline);
      outline.tables.push({ rows: j - i - 1, columns, keys, line: i + 1, section });
      i = j;
      continue;
    }
    collectInline(line, i, outline);
    i++;
  }
  return outline;
}

function collectInline(line: string, index: number, outline: MarkdownOutline): void {
  const prose = line.replace(/(`+)[^`]*?\1/g, '');
  for (const m of prose.matchAll(INLINE_LINK)) outline.links.push({ target: m[1]!, line: index + 1 });
  for (const m of line.matchAll(EXPLICIT_ANCHOR)) outline.anchors.add(m[1]!);
}

/** The cells of a pipe-table row; `\|` and pipes inside code spans do not split. */
export function splitRow(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let inCode = false;
  const body = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let k = 0; k < body.length; k++) {
    const ch = body[k]!;
    if (ch === '\\' && body[k + 1] === '|') {
      cell += '\\|';
      k++;
    } else if (ch === '`') {
      inCode = !inCode;
      cell += ch;
    } else if (ch === '|' && !inCode) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  return cells;
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort();
}

/**
 * The fragment GitHub gives a heading: its rendered text lower-cased, punctuation dropped (letters
 * of any script, digits, '-' and '_' stay), spaces turned into '-'.
 */
export function githubSlug(headingText: string): string {
  const rendered = headingText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}
