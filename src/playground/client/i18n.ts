/**
 * The playground's two languages. Each panel keeps its words beside its code: `defineTexts` takes
 * the English and the Chinese table (the same keys, checked by the compiler) and gives that
 * panel's `t(key, vars)`. Static words of index.html carry `data-i18n` attributes that
 * `translatePage` fills. The language is Chinese when the browser prefers it (navigator.languages),
 * or what the visitor last chose with the switch (localStorage); `<html lang>` says which, so CSS
 * and other modules can read it too.
 *
 * How a new panel uses it:
 *
 *   const t = defineTexts({ en: { title: 'Delete my account' }, zh: { title: '注销账号' } });
 *   heading.textContent = t('title');
 *   onLanguageChange(() => { heading.textContent = t('title'); });
 */

export type Language = 'en' | 'zh';

export const LANGUAGE_STORAGE_KEY = 'weapp-auth.playground.language';

/** `{name}` in a text is replaced by `vars.name`. */
export type TextVars = Readonly<Record<string, string | number>>;

export interface Texts<K extends string> {
  en: Readonly<Record<K, string>>;
  zh: Readonly<Record<K, string>>;
}

/**
 * The first choice: the stored one, else the first of the browser's languages that we speak
 * (zh, zh-CN, zh-TW… → Chinese; en-* → English), else English.
 */
export function initialLanguage(stored: string | null, preferred: readonly string[]): Language {
  if (stored === 'en' || stored === 'zh') return stored;
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'zh') return 'zh';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

const listeners = new Set<(language: Language) => void>();
let current: Language = initialLanguage(readStored(), navigator.languages ?? [navigator.language]);
document.documentElement.lang = htmlLang(current);

function readStored(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_STORAGE_KEY);
  } catch {
    return null;
  }
}

function htmlLang(language: Language): string {
  return language === 'zh' ? 'zh-CN' : 'en';
}

export function language(): Language {
  return current;
}

/**
 * The phone's language as WeChat reports it (wx.getAppBaseInfo().language): what the SDK turns
 * into Accept-Language, so the server's error messages follow the page.
 */
export function wechatLanguage(): 'zh_CN' | 'en' {
  return current === 'zh' ? 'zh_CN' : 'en';
}

/** Switches the page: remembered, `<html lang>` set, static words redone, listeners told. */
export function setLanguage(next: Language): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, next);
  } catch {
    // Storage refused (private mode): the switch still works for this visit.
  }
  if (next === current) return;
  current = next;
  document.documentElement.lang = htmlLang(next);
  for (const listener of listeners) listener(next);
}

/** Calls `listener` after each switch; returns the function that stops it. */
export function onLanguageChange(listener: (language: Language) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A panel's `t`: its word for `key` in the current language, `{vars}` filled in. */
export function defineTexts<K extends string>(texts: Texts<K>): (key: K, vars?: TextVars) => string {
  return (key, vars) => fill(texts[current][key], vars);
}

function fill(text: string, vars: TextVars | undefined): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/**
 * Fills the static words under `root` from `t`: `data-i18n` sets the text, `data-i18n-html` the
 * markup (our own tables only, never user input: for the hints with <code> in them),
 * `data-i18n-placeholder`, `data-i18n-title` and `data-i18n-aria-label` those attributes.
 */
export function translatePage<K extends string>(root: ParentNode, t: (key: K) => string): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n as K);
  }
  for (const node of root.querySelectorAll<HTMLElement>('[data-i18n-html]')) {
    node.innerHTML = t(node.dataset.i18nHtml as K);
  }
  for (const [data, attribute] of TRANSLATED_ATTRIBUTES) {
    for (const node of root.querySelectorAll<HTMLElement>(`[${data}]`)) {
      node.setAttribute(attribute, t(node.getAttribute(data) as K));
    }
  }
}

const TRANSLATED_ATTRIBUTES = [
  ['data-i18n-placeholder', 'placeholder'],
  ['data-i18n-title', 'title'],
  ['data-i18n-aria-label', 'aria-label'],
] as const;

/**
 * The visible switch: one button per language, the current one pressed. A choice is kept in
 * localStorage, so a reload keeps it.
 */
export function mountLanguageSwitch(host: HTMLElement): void {
  const labels: Record<Language, string> = { en: 'English', zh: '中文' };
  const buttons = (['en', 'zh'] as const).map((lang) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.lang = htmlLang(lang);
    button.dataset.language = lang;
    button.textContent = labels[lang];
    button.addEventListener('click', () => setLanguage(lang));
    return button;
  });
  const mark = () => {
    for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.language === current));
  };
  host.replaceChildren(...buttons);
  mark();
  onLanguageChange(mark);
}
