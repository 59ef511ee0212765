import { randomBytes } from 'node:crypto';

export type EnvVersion = 'release' | 'trial' | 'develop';

/** One mini-program code the emulator drew: what a phone scanning it opens. */
export interface DrawnCode {
  /** Written into the picture, so a "scan" of the picture finds this record. */
  id: string;
  appid: string;
  scene: string;
  /** Empty for the home page (getwxacodeunlimit without `page`). */
  page: string;
  envVersion: EnvVersion;
  drawnAt: number;
}

/** Codes drawn by getwxacodeunlimit, and each app's published pages (for `check_path`, 41030). */
export class WxaCodeBook {
  readonly #codes = new Map<string, DrawnCode>();
  readonly #published = new Map<string, ReadonlySet<string>>();
  /** Codes are permanent at WeChat; the emulator keeps the latest ones so a long dev run stays small. */
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  draw(code: Omit<DrawnCode, 'id'>): DrawnCode {
    const drawn = { ...code, id: randomBytes(9).toString('base64url') };
    if (this.#codes.size >= this.#capacity) {
      const oldest = this.#codes.keys().next().value;
      if (oldest !== undefined) this.#codes.delete(oldest);
    }
    this.#codes.set(drawn.id, drawn);
    return drawn;
  }

  byId(id: string): DrawnCode | undefined {
    return this.#codes.get(id);
  }

  /** The latest code of this app with this scene. */
  byScene(appid: string, scene: string): DrawnCode | undefined {
    let found: DrawnCode | undefined;
    for (const code of this.#codes.values()) if (code.appid === appid && code.scene === scene) found = code;
    return found;
  }

  /**
   * The pages of the app's published version. Until they are set every page counts as published,
   * so a fresh emulator draws codes for any page; set them to meet 41030 as a release would.
   */
  setPublishedPages(appid: string, pages: readonly string[] | undefined): void {
    if (pages === undefined) this.#published.delete(appid);
    else this.#published.set(appid, new Set(pages));
  }

  publishedPages(appid: string): string[] | undefined {
    const pages = this.#published.get(appid);
    return pages && [...pages];
  }

  isPublished(appid: string, page: string): boolean {
    const pages = this.#published.get(appid);
    return pages === undefined || page === '' || pages.has(page);
  }

  clear(): void {
    this.#codes.clear();
    this.#published.clear();
  }
}
