import { EmulatorControlError } from '../directory.ts';
import type { EmulatorState } from '../state.ts';
import type { DrawnCode, EnvVersion } from './code-book.ts';
import { readPngMetadata } from './png.ts';

/** What the mini program receives when a phone scans a code (wechat-api.md §19.2). */
export interface ScanResult {
  appid: string;
  /** The page that opens; empty for the home page. */
  page: string;
  envVersion: EnvVersion;
  /** The entry scene of App.onLaunch / getLaunchOptionsSync: 1047, a mini-program code scanned. */
  launchScene: 1047;
  /** What Page.onLoad(query) receives: the code's scene, URL-encoded. */
  query: { scene: string };
  /** decodeURIComponent(query.scene): the scene the server asked WeChat to draw. */
  scene: string;
}

function bad(message: string): never {
  throw new EmulatorControlError('INVALID_ARGUMENT', message);
}

/** The phone's camera on mini-program codes, and the app's published pages (41030). */
export class WxaCodeControl {
  readonly #state: EmulatorState;

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  /**
   * Scans a code the emulator drew: by its picture (the PNG's bytes, base64, or a data: URL as
   * weapp-auth's POST /v1/qr-login answers), or by app and scene.
   */
  scan(input: { image?: unknown; appid?: unknown; scene?: unknown }): ScanResult {
    const book = this.#state.wxaCodes;
    let code: DrawnCode | undefined;
    if (input.image !== undefined) {
      if (typeof input.image !== 'string') bad('image must be a string: base64 or a data: URL');
      const base64 = input.image.replace(/^data:image\/[a-z]+;base64,/, '');
      const id = readPngMetadata(Buffer.from(base64, 'base64'));
      code = id === undefined ? undefined : book.byId(id);
      if (!code) bad('image is not a mini-program code this emulator drew (getwxacodeunlimit)');
    } else {
      if (typeof input.appid !== 'string' || typeof input.scene !== 'string') {
        bad('give image, or appid and scene');
      }
      code = book.byScene(input.appid, input.scene);
      if (!code) bad(`no code with this scene was drawn for ${input.appid}`);
    }
    return {
      appid: code.appid,
      page: code.page,
      envVersion: code.envVersion,
      launchScene: 1047,
      query: { scene: encodeURIComponent(code.scene) },
      scene: code.scene,
    };
  }

  /** Sets the pages of the app's published version (undefined: every page counts as published). */
  setPublishedPages(appid: string, pages: unknown): { appid: string; pages: string[] | null } {
    this.#state.phoneApp(appid);
    if (pages !== null && pages !== undefined) {
      if (!Array.isArray(pages) || !pages.every((p) => typeof p === 'string' && p !== '' && !p.startsWith('/'))) {
        bad('pages must be an array of page paths without a leading "/" (or null for every page)');
      }
      this.#state.wxaCodes.setPublishedPages(appid, pages as string[]);
    } else {
      this.#state.wxaCodes.setPublishedPages(appid, undefined);
    }
    return this.publishedPages(appid);
  }

  publishedPages(appid: string): { appid: string; pages: string[] | null } {
    return { appid, pages: this.#state.wxaCodes.publishedPages(appid) ?? null };
  }
}
