/** msg_sec_check labels (wechat-api.md §7.1). */
export const LABELS = {
  normal: 100,
  ads: 10001,
  politics: 20001,
  porn: 20002,
  abuse: 20003,
  illegal: 20006,
  fraud: 20008,
  vulgar: 20012,
  copyright: 20013,
  other: 21000,
} as const;

export type Suggest = 'pass' | 'review' | 'risky';

/** A word that turns msg_sec_check's verdict to `suggest` with `label` wherever it appears (case-insensitive). */
export interface ContentRule {
  word: string;
  suggest: 'risky' | 'review';
  label: number;
}

/** A small default list so the flow can be tried without configuration; documented in docs/emulator.md. */
export const DEFAULT_CONTENT_RULES: readonly ContentRule[] = Object.freeze([
  { word: '赌博', suggest: 'risky', label: LABELS.illegal },
  { word: '代开发票', suggest: 'risky', label: LABELS.fraud },
  { word: 'risky-word', suggest: 'risky', label: LABELS.abuse },
  { word: '加微信', suggest: 'review', label: LABELS.ads },
  { word: 'review-word', suggest: 'review', label: LABELS.ads },
]);

export function validateContentRules(rules: unknown): ContentRule[] {
  if (!Array.isArray(rules)) throw new TypeError('content rules must be an array');
  return rules.map((rule: unknown, i) => {
    const r = rule as Partial<ContentRule> | null;
    if (typeof r?.word !== 'string' || r.word.trim() === '')
      throw new TypeError(`rules[${i}].word must be a non-empty string`);
    if (r.suggest !== 'risky' && r.suggest !== 'review')
      throw new TypeError(`rules[${i}].suggest must be risky or review`);
    if (!Number.isInteger(r.label)) throw new TypeError(`rules[${i}].label must be an integer`);
    return { word: r.word, suggest: r.suggest, label: r.label as number };
  });
}

export interface Verdict {
  suggest: Suggest;
  label: number;
  /** The word that decided it, when one did. */
  keyword?: string;
}

const RANK: Record<Suggest, number> = { pass: 0, review: 1, risky: 2 };

/** The worst verdict over every text field: one risky word anywhere makes the whole request risky. */
export function judge(texts: readonly string[], rules: readonly ContentRule[]): Verdict {
  let verdict: Verdict = { suggest: 'pass', label: LABELS.normal };
  const haystacks = texts.map((t) => t.toLowerCase());
  for (const rule of rules) {
    const needle = rule.word.toLowerCase();
    if (RANK[rule.suggest] <= RANK[verdict.suggest]) continue;
    if (haystacks.some((h) => h.includes(needle)))
      verdict = { suggest: rule.suggest, label: rule.label, keyword: rule.word };
  }
  return verdict;
}
