import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type MarkdownOutline, parseMarkdown } from './markdown.ts';

/**
 * Issue 14: every document has a Chinese twin (`X.md` → `X.zh-CN.md`), and the pair says the same
 * thing: the same headings (count, levels, order), the same code blocks (byte for byte, under the
 * same heading), the same tables (rows, columns, the identifiers in their first column), each file
 * linking to the other at the top, and the Chinese one linking to Chinese twins where they exist.
 * A change to one side without the other fails here, naming the section that differs.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'data', 'coverage', 'miniprogram_dist', 'playground_dist']);
const ZH = '.zh-CN.md';

/**
 * The documents that must have a twin: the READMEs (the repository's, each package's and each
 * example's), RELIABILITY.md, BENCHMARKS.md and every doc under docs/.
 */
function requiredDocuments(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md') && !f.endsWith(ZH))
    .map((f) => `docs/${f}`);
  const packages = ['packages', 'examples'].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .map((p) => `${dir}/${p}/README.md`)
      .filter((f) => existsSync(join(ROOT, f))),
  );
  return ['README.md', 'RELIABILITY.md', 'BENCHMARKS.md', ...packages, ...docs];
}

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) || e.name.startsWith('.') ? [] : markdownFiles(join(dir, e.name));
    return e.name.endsWith('.md') ? [posix.join(dir.split('\\').join('/'), e.name)] : [];
  });
}

const twinOf = (english: string) => english.replace(/\.md$/, ZH);
const englishOf = (zh: string) => `${zh.slice(0, -ZH.length)}.md`;
const read = (path: string) => parseMarkdown(readFileSync(join(ROOT, path), 'utf8'));

describe('every README and doc has its Chinese twin', () => {
  for (const english of requiredDocuments()) {
    it(english, () => {
      assert.ok(
        existsSync(join(ROOT, twinOf(english))),
        `${english} has no Chinese twin: write ${twinOf(english)} (same headings, same code blocks, links at the top)`,
      );
    });
  }
});

const pairs = markdownFiles('.')
  .filter((f) => f.endsWith(ZH))
  .map((zh) => ({ zh, en: englishOf(zh) }));

for (const { en, zh } of pairs) {
  describe(`${en} ↔ ${zh}`, () => {
    assert.ok(existsSync(join(ROOT, en)), `${zh} translates ${en}, which does not exist`);
    const a = read(en);
    const b = read(zh);
    const where = (o: MarkdownOutline, section: number) =>
      section < 0
        ? 'before the first heading'
        : `under '${'#'.repeat(o.headings[section]!.level)} ${o.headings[section]!.text}'`;
    const sectionName = (section: number) =>
      section < 0
        ? 'before the first heading'
        : `${where(a, section)} (${en}:${a.headings[section]!.line}, ${zh}:${b.headings[section]!.line})`;

    it('each links to the other at the top', () => {
      const enLink = `English | [简体中文](${posix.basename(twinOf(en))})`;
      const zhLink = `[English](${posix.basename(en)}) | 简体中文`;
      assert.ok(top(a).includes(enLink), `${en}: put the line "${enLink}" at the top (below the title)`);
      assert.ok(top(b).includes(zhLink), `${zh}: put the line "${zhLink}" at the top (below the title)`);
    });

    it('the same headings: count, levels, order', () => {
      const outline = (o: MarkdownOutline) =>
        o.headings.map((h) => `${'#'.repeat(h.level)} ${h.text} (line ${h.line})`);
      const n = Math.min(a.headings.length, b.headings.length);
      for (let k = 0; k < n; k++) {
        const [x, y] = [a.headings[k]!, b.headings[k]!];
        assert.equal(
          y.level,
          x.level,
          `heading ${k + 1}: ${en}:${x.line} '${'#'.repeat(x.level)} ${x.text}' is level ${x.level}, ` +
            `but ${zh}:${y.line} '${'#'.repeat(y.level)} ${y.text}' is level ${y.level}; a heading was added, ` +
            `removed or moved on one side only. Outlines:\n${en}:\n  ${outline(a).join('\n  ')}\n${zh}:\n  ${outline(b).join('\n  ')}`,
        );
      }
      if (b.headings.length === a.headings.length) return;
      assert.fail(
        a.headings.length > n
          ? `${zh} lacks the heading(s) ${en} has from '${a.headings[n]!.text}' (${en}:${a.headings[n]!.line}) on`
          : `${zh} has heading(s) ${en} lacks from '${b.headings[n]!.text}' (${zh}:${b.headings[n]!.line}) on`,
      );
    });

    it('the same code blocks, under the same headings', () => {
      const sections = Math.max(a.headings.length, b.headings.length);
      for (let s = -1; s < sections; s++) {
        const x = a.fences.filter((f) => f.section === s);
        const y = b.fences.filter((f) => f.section === s);
        const name = s < a.headings.length && s < b.headings.length ? sectionName(s) : `in section ${s + 1}`;
        for (let k = 0; k < Math.min(x.length, y.length); k++) {
          const [p, q] = [x[k]!, y[k]!];
          if (p.info === q.info && p.body === q.body) continue;
          const pl = p.body.split('\n');
          const ql = q.body.split('\n');
          let d = 0;
          while (d < Math.max(pl.length, ql.length) && pl[d] === ql[d]) d++;
          assert.fail(
            `code block ${k + 1} ${name} differs: ${en}:${p.line} \`\`\`${p.info} vs ${zh}:${q.line} \`\`\`${q.info}` +
              (p.info === q.info ? '' : ' (info strings differ)') +
              `\n  first differing line ${d + 1} of the block:\n  ${en}: ${JSON.stringify(pl[d] ?? '<none>')}` +
              `\n  ${zh}: ${JSON.stringify(ql[d] ?? '<none>')}\n  Code blocks are copied verbatim, comments included.`,
          );
        }
        assert.equal(
          y.length,
          x.length,
          `${name}: ${en} has ${x.length} code block(s) (lines ${x.map((f) => f.line).join(', ') || '-'}), ` +
            `${zh} has ${y.length} (lines ${y.map((f) => f.line).join(', ') || '-'})`,
        );
      }
    });

    it('the same tables: rows, columns, first-column identifiers', () => {
      const sections = Math.min(a.headings.length, b.headings.length);
      for (let s = -1; s < sections; s++) {
        const x = a.tables.filter((t) => t.section === s);
        const y = b.tables.filter((t) => t.section === s);
        assert.equal(y.length, x.length, `${sectionName(s)}: ${en} has ${x.length} table(s), ${zh} has ${y.length}`);
        for (let k = 0; k < x.length; k++) {
          const [p, q] = [x[k]!, y[k]!];
          const table = `table ${k + 1} ${sectionName(s)} (${en}:${p.line}, ${zh}:${q.line})`;
          assert.equal(q.columns, p.columns, `${table}: ${p.columns} columns in English, ${q.columns} in Chinese`);
          for (let r = 0; r < Math.min(p.rows, q.rows); r++) {
            assert.equal(
              q.keys[r],
              p.keys[r],
              `${table}, row ${r + 1}: the first cell's code differs (${JSON.stringify(p.keys[r])} in English, ` +
                `${JSON.stringify(q.keys[r])} in Chinese): a row was added, removed or reordered on one side`,
            );
          }
          assert.equal(q.rows, p.rows, `${table}: ${p.rows} rows in English, ${q.rows} in Chinese`);
        }
      }
    });

    it('the Chinese twin links to Chinese twins, and every #anchor it names exists', () => {
      for (const link of b.links) {
        const problem = checkLink(zh, link.target, true);
        if (problem) assert.fail(`${zh}:${link.line}: link ${link.target}: ${problem}`);
      }
    });

    it('every #anchor the English document names exists', () => {
      for (const link of a.links) {
        const problem = checkLink(en, link.target, false);
        if (problem) assert.fail(`${en}:${link.line}: link ${link.target}: ${problem}`);
      }
    });
  });
}

/** The lines above the first heading below the title: where the language switch belongs. */
function top(o: MarkdownOutline): string[] {
  const second = o.headings.find((h) => h.line > 1 && h !== o.headings[0]);
  return o.lines.slice(0, second ? second.line - 1 : 10).map((l) => l.trim());
}

/** Why a link from `from` is wrong, or undefined. External links are not followed. */
function checkLink(from: string, target: string, chinese: boolean): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [path = '', fragment] = target.split('#');
  const resolved = path === '' ? from : posix.normalize(posix.join(posix.dirname(from), decodeURI(path)));
  if (!resolved.endsWith('.md')) return undefined;
  if (relative(ROOT, join(ROOT, resolved)).startsWith('..')) return 'points outside the repository';
  // A link may land ahead of the document it names (another change writes it): not this test's business.
  if (!existsSync(join(ROOT, resolved))) return undefined;
  const isLanguageSwitch = chinese && resolved === englishOf(from);
  if (chinese && !resolved.endsWith(ZH) && !isLanguageSwitch && existsSync(join(ROOT, twinOf(resolved)))) {
    return `point at the Chinese twin ${twinOf(resolved)} instead`;
  }
  if (fragment === undefined || fragment === '') return undefined;
  const anchors = read(resolved).anchors;
  if (anchors.has(decodeURIComponent(fragment))) return undefined;
  return `${resolved} has no heading or <a id> with the anchor #${fragment} (its anchors: ${[...anchors].join(', ')})`;
}
