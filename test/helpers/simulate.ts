import { existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, sep } from 'node:path';

const require = createRequire(import.meta.url);
// jsdom ships no types of its own; this is the one constructor used here.
const { JSDOM } = require('jsdom') as {
  JSDOM: new (html: string, options?: { pretendToBeVisual?: boolean }) => { window: Window & typeof globalThis };
};

/** The parts of miniprogram-simulate (and its j-component) these tests use. */
export interface SimNode {
  dom: Element;
  dispatchEvent(name: string, options?: { detail?: unknown }): void;
  querySelector(selector: string): SimNode | undefined;
}
export interface SimComponent extends SimNode {
  instance: Record<string, (...args: unknown[]) => unknown> & { data: Record<string, unknown> };
  attach(parent: Element): void;
  detach(): void;
}
interface Simulate {
  load(path: string, options?: { compiler?: 'simulate' | 'official'; rootPath?: string }): string;
  render(id: string, properties?: Record<string, unknown>): SimComponent;
}

/**
 * A mini program's JavaScript world in this process, as WeChat's runtime gives it: jsdom for
 * miniprogram-simulate, the globals `wx`, `App`, `getApp`, `Page` (a page registered as the
 * Component it is underneath: its functions become methods, called by the test for lifecycles),
 * and WeChat's module rule — a bare `require('pkg')` from the project's code loads
 * `miniprogram_npm/pkg/index.js`, what Build npm made, never node_modules.
 */
export function miniProgramWorld(projectRoot: string, wx: unknown): { simulate: Simulate; app(): unknown } {
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
  const g = globalThis as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(dom.window)) {
    if (key in g) continue;
    try {
      g[key] = (dom.window as unknown as Record<string, unknown>)[key];
    } catch {
      // A getter jsdom refuses here (localStorage of an opaque origin): not needed.
    }
  }
  // Node has its own Event family; j-component dispatches on jsdom elements, which want jsdom's.
  for (const key of ['Event', 'CustomEvent', 'EventTarget', 'Node', 'Element', 'HTMLElement', 'navigator']) {
    Object.defineProperty(g, key, {
      value: (dom.window as unknown as Record<string, unknown>)[key],
      configurable: true,
      writable: true,
    });
  }
  g.window = dom.window;
  g.document = dom.window.document;

  const root = projectRoot.endsWith(sep) ? projectRoot : projectRoot + sep;
  const moduleApi = Module as unknown as {
    _resolveFilename: (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
  };
  const resolve = moduleApi._resolveFilename;
  moduleApi._resolveFilename = function (request, parent, ...rest) {
    if (parent?.filename?.startsWith(root) && /^[@a-z]/.test(request)) {
      const built = join(root, 'miniprogram_npm', request, 'index.js');
      if (!existsSync(built))
        throw new Error(`module '${request}' is not defined (not in miniprogram_npm: run Build npm)`);
      return built;
    }
    return resolve.call(this, request, parent, ...rest);
  };

  let app: unknown;
  g.wx = wx;
  g.App = (definition: Record<string, unknown>) => {
    app = definition;
  };
  g.getApp = () => app;
  const simulate = require('miniprogram-simulate') as Simulate;
  g.Page = (definition: Record<string, unknown>) => {
    const { data, ...rest } = definition;
    const methods = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === 'function'));
    (g.Component as (options: unknown) => void)({ data, methods });
  };
  return { simulate, app: () => app };
}
