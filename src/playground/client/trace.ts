import type { Prompt, WxCallEvent } from '../../stand-in/index.ts';
import type { NumberedCall } from '../call-feed.ts';
import { defineTexts } from './i18n.ts';
import { mask } from './mask.ts';

const t = defineTexts({
  en: {
    allows: 'the user allows "{scope}" ({api})',
    denies: 'the user denies "{scope}" ({api})',
    modal: 'modal "{title}": the user taps {button}',
    settings: 'settings page: the user leaves {after}',
    toWechat: 'our server → WeChat',
    user: 'user',
    unreadable: "could not read the emulator's calls: {error}",
  },
  zh: {
    allows: '用户允许 "{scope}"（{api}）',
    denies: '用户拒绝 "{scope}"（{api}）',
    modal: '弹窗 "{title}"：用户点击 {button}',
    settings: '设置页：用户保留 {after}',
    toWechat: '我们的服务端 → 微信',
    user: '用户',
    unreadable: '无法读取模拟器的调用记录：{error}',
  },
});

/** Where each WeChat API the emulator serves lives on api.weixin.qq.com. */
const WECHAT_PATHS: Record<string, string> = {
  jscode2session: 'GET /sns/jscode2session',
  token: 'GET /cgi-bin/token',
  stable_token: 'POST /cgi-bin/stable_token',
  getuserphonenumber: 'POST /wxa/business/getuserphonenumber',
  checksession: 'GET /wxa/checksession',
  resetusersessionkey: 'GET /wxa/resetusersessionkey',
  msg_sec_check: 'POST /wxa/msg_sec_check',
  getwxacodeunlimit: 'POST /wxa/getwxacodeunlimit',
};

/** Storage calls are many and dull: one line each, no result. */
const QUIET = new Set(['getStorageSync', 'setStorageSync', 'removeStorageSync']);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Long harmless strings (rawData, avatar URLs) cut short, so a step fits in a few lines. */
function shorten(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 72 ? `${value.slice(0, 60)}…(${value.length})` : value;
  if (Array.isArray(value)) return value.map(shorten);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
  }
  return value;
}

function json(value: unknown): string {
  return JSON.stringify(shorten(mask(value)), null, 1)
    .replace(/\n\s*/g, ' ')
    .replace(/^\{ /, '{')
    .replace(/ \}$/, '}');
}

function parsed(text: unknown): unknown {
  try {
    return typeof text === 'string' ? JSON.parse(text) : text;
  } catch {
    return text;
  }
}

function pathOf(url: unknown): string {
  try {
    const u = new URL(String(url));
    return u.origin === location.origin ? `${u.pathname}${u.search}` : u.href;
  } catch {
    return String(url);
  }
}

/**
 * The live trace beside the phone: every wx call, every request to our server with the calls our
 * server made to WeChat while answering it, the user's taps, all with secrets masked.
 */
export class Trace {
  readonly #list: HTMLOListElement;
  readonly #rows = new Map<number, HTMLLIElement>();
  #lastWechatCall = 0;
  #pulling: Promise<void> = Promise.resolve();

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  wx(event: WxCallEvent): void {
    if (QUIET.has(event.api)) {
      if (event.phase === 'call') this.#add('storage', `wx.${event.api}(${json(event.detail.key)})`);
      return;
    }
    if (event.api === 'request' || event.api === 'uploadFile') {
      this.#request(event);
      return;
    }
    if (event.phase === 'call') {
      const args = Object.keys(event.detail).length > 0 ? json(event.detail) : '';
      this.#rows.set(event.id, this.#add('wx', `wx.${event.api}(${args})`));
      return;
    }
    const row = this.#rows.get(event.id);
    const outcome = el('div', `outcome ${event.phase}`, `${event.phase === 'ok' ? '←' : '✗'} ${json(event.detail)}`);
    // Under its call when nothing came in between; else on a row of its own, to keep the order.
    if (row && row === this.#list.lastElementChild) row.append(outcome);
    else this.#add('wx', `wx.${event.api}`).append(outcome);
    this.#scroll();
  }

  user(prompt: Prompt): void {
    if (prompt.kind === 'authorize') {
      this.#add('user', t(prompt.allowed ? 'allows' : 'denies', { ...prompt.request }));
    } else if (prompt.kind === 'modal') {
      const button = prompt.confirmed ? prompt.modal.confirmText : prompt.modal.cancelText;
      this.#add('user', t('modal', { title: prompt.modal.title ?? '', button: button ?? '' }));
    } else {
      this.#add('user', t('settings', { after: json(prompt.after) }));
    }
  }

  /** An open-type button's event, as the page's handler gets it (`e.detail`). */
  button(openType: string, detail: object): void {
    const row = this.#add('wx', `<button open-type="${openType}"> → bind${openType.toLowerCase()}`);
    row.append(el('div', 'outcome ok', `e.detail ${json(detail)}`));
    this.#scroll();
  }

  /**
   * A request of the desktop browser (scan-to-login's website), which the phone's wx does not see.
   * Returns what adds its answer, then the WeChat calls our server made for it.
   */
  web(title: string, sent?: unknown): (status: number, body: unknown) => void {
    const row = this.#add('web', title);
    if (sent !== undefined) row.append(el('div', 'sent', json(sent)));
    row.append(el('ol', 'wechat'));
    return (status, body) => {
      row.append(el('div', `outcome ${status < 400 ? 'ok' : 'fail'}`, `← ${status} ${json(body)}`));
      this.#pulling = this.#pulling.then(() => this.#pullWechatCalls(row));
      this.#scroll();
    };
  }

  /** Something the desktop browser learnt (an event of the stream, a poll's answer), masked. */
  webEvent(title: string, detail: unknown): void {
    this.#add('web', title).append(el('div', 'outcome ok', json(detail)));
    this.#scroll();
  }

  note(text: string): void {
    this.#add('note', text);
  }

  /** Something the user did outside the mini program (in WeChat's settings). */
  userNote(text: string): void {
    this.#add('user', text);
  }

  /** A push WeChat sent to our server (message push), with the answer to each attempt. */
  push(title: string, message: unknown, attempts: readonly { ok: boolean; text: string }[]): void {
    const row = this.#add('push', title);
    row.append(el('div', 'sent', json(message)));
    for (const a of attempts) row.append(el('div', `outcome ${a.ok ? 'ok' : 'fail'}`, `← ${a.text}`));
    this.#scroll();
  }

  clear(): void {
    this.#list.replaceChildren();
    this.#rows.clear();
  }

  /**
   * Starts the WeChat-side feed at its end: the calls made before the page loaded (an earlier visit,
   * `weapp-auth demo`) were caused by no request of this page, so none is listed under one.
   */
  async skipEarlierWechatCalls(): Promise<void> {
    const res = await fetch(`./api/wechat-calls?after=${Number.MAX_SAFE_INTEGER}`);
    this.#lastWechatCall = ((await res.json()) as { last: number }).last;
  }

  /** Waits until the WeChat-side calls of every finished request are shown (for the page's tests). */
  settled(): Promise<void> {
    return this.#pulling;
  }

  /** wx.request, and wx.uploadFile (always a POST of multipart/form-data), with the server's answer. */
  #request(event: WxCallEvent): void {
    const upload = event.api === 'uploadFile';
    if (event.phase === 'call') {
      const d = event.detail;
      const title = upload ? `POST ${pathOf(d.url)} (wx.uploadFile)` : `${String(d.method ?? 'GET')} ${pathOf(d.url)}`;
      const row = this.#add('request', `→ ${title}`);
      const sent = {
        ...(d.header ? { header: d.header } : {}),
        ...(upload ? { name: d.name, filePath: d.filePath } : {}),
        ...(d.data !== undefined ? { data: d.data } : {}),
      };
      if (Object.keys(sent).length > 0) row.append(el('div', 'sent', json(sent)));
      row.append(el('ol', 'wechat'));
      this.#rows.set(event.id, row);
      return;
    }
    const row = this.#rows.get(event.id) ?? this.#add('request', '→ request');
    // wx.uploadFile hands the answer over as a string: parsed, so its fields are masked like any other.
    const data = upload ? parsed(event.detail.data) : event.detail.data;
    const text =
      event.phase === 'ok' ? `← ${String(event.detail.statusCode)} ${json(data)}` : `✗ ${json(event.detail)}`;
    const status = Number(event.detail.statusCode);
    row.append(el('div', `outcome ${event.phase === 'ok' && status < 400 ? 'ok' : 'fail'}`, text));
    // Our server called WeChat before answering: those calls are in the emulator's feed already.
    this.#pulling = this.#pulling.then(() => this.#pullWechatCalls(row));
    this.#scroll();
  }

  async #pullWechatCalls(row: HTMLLIElement): Promise<void> {
    try {
      const res = await fetch(`./api/wechat-calls?after=${this.#lastWechatCall}`);
      const { calls, last } = (await res.json()) as { calls: NumberedCall[]; last: number };
      this.#lastWechatCall = last;
      const list = row.querySelector('ol.wechat') ?? row;
      for (const call of calls) {
        const outcome = call.outcome === 'answered' ? `errcode ${call.errcode ?? 0}` : call.outcome;
        list.append(
          el(
            'li',
            `wechat ${call.errcode ? 'fail' : 'ok'}`,
            `${t('toWechat')}: ${WECHAT_PATHS[call.api] ?? call.api}${call.user ? ` (${t('user')} ${call.user})` : ''} ⇒ ${outcome} · ${call.durationMs} ms`,
          ),
        );
      }
      this.#scroll();
    } catch (err) {
      this.note(t('unreadable', { error: (err as Error).message }));
    }
  }

  #add(kind: string, title: string): HTMLLIElement {
    const row = el('li', `row ${kind}`);
    row.append(el('div', 'title', title));
    this.#list.append(row);
    this.#scroll();
    return row;
  }

  #scroll(): void {
    this.#list.parentElement?.scrollTo({ top: this.#list.parentElement.scrollHeight });
  }
}
