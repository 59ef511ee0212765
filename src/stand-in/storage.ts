/** The part of the Web Storage interface the stand-in needs: `localStorage` in a browser. */
export interface StorageArea {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

/** Storage that lives as long as the object: a fresh phone per test. */
export class MemoryStorage implements StorageArea {
  readonly #items = new Map<string, string>();

  get length(): number {
    return this.#items.size;
  }

  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }

  removeItem(key: string): void {
    this.#items.delete(key);
  }

  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }
}

/**
 * One mini program's storage and authorization settings inside a StorageArea, under
 * `wx:<appid>:`, so a browser's localStorage can hold the phone across reloads.
 */
export class PhoneStorage {
  readonly #area: StorageArea;
  readonly #prefix: string;

  constructor(area: StorageArea, appid: string) {
    this.#area = area;
    this.#prefix = `wx:${appid}:`;
  }

  /** wx.getStorageSync: "" for a missing key, as on the phone. */
  get(key: string): unknown {
    const raw = this.#area.getItem(`${this.#prefix}data:${key}`);
    if (raw === null) return '';
    // A Date survives as a Date, like WeChat's native storage; everything else as JSON.
    const stored = JSON.parse(raw) as { date: string } | { value: unknown };
    return 'date' in stored ? new Date(stored.date) : stored.value;
  }

  set(key: string, value: unknown): void {
    if (typeof key !== 'string' || key === '') throw new TypeError('setStorageSync:fail parameter error: key');
    const stored = value instanceof Date ? { date: value.toISOString() } : { value };
    this.#area.setItem(`${this.#prefix}data:${key}`, JSON.stringify(stored));
  }

  remove(key: string): void {
    this.#area.removeItem(`${this.#prefix}data:${key}`);
  }

  keys(): string[] {
    const keys: string[] = [];
    for (let i = 0; i < this.#area.length; i++) {
      const key = this.#area.key(i);
      if (key?.startsWith(`${this.#prefix}data:`)) keys.push(key.slice(`${this.#prefix}data:`.length));
    }
    return keys;
  }

  /** The scopes the user was asked about, and their answers. */
  authSetting(): Record<string, boolean> {
    const raw = this.#area.getItem(`${this.#prefix}authSetting`);
    return raw === null ? {} : (JSON.parse(raw) as Record<string, boolean>);
  }

  saveAuthSetting(setting: Record<string, boolean>): void {
    this.#area.setItem(`${this.#prefix}authSetting`, JSON.stringify(setting));
  }

  /** The privacy-guide data types the user agreed to (wx.requirePrivacyAuthorize, the agree button). */
  privacyAgreed(): string[] {
    const raw = this.#area.getItem(`${this.#prefix}privacy`);
    return raw === null ? [] : (JSON.parse(raw) as string[]);
  }

  savePrivacyAgreed(types: string[]): void {
    this.#area.setItem(`${this.#prefix}privacy`, JSON.stringify(types));
  }

  /** Deleting the mini program from the phone: its storage, authorizations and privacy consent. */
  clearAll(): void {
    for (const key of this.keys()) this.remove(key);
    this.#area.removeItem(`${this.#prefix}authSetting`);
    this.#area.removeItem(`${this.#prefix}privacy`);
  }
}
