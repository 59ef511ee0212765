import { isWechatApi, type WechatApi } from './calls.ts';
import type { Derivation } from './ids.ts';

/**
 * A fault rule for WeChat-side calls. Examples:
 *   { latencyMs: 300 }                                  every call 300 ms slower
 *   { fail: 'system-error', rate: 0.2 }                 a fifth of the calls answer -1
 *   { api: 'jscode2session', fail: 'drop' }             the connection is closed without an answer
 *   { api: 'token', fail: 'timeout' }                   no answer at all, until the caller gives up
 *   { api: 'getuserphonenumber', errcode: 40001, count: 2 }  the next two calls answer 40001
 */
export interface FaultRule {
  /** Limit the rule to one API; all when omitted. */
  api?: WechatApi;
  /** Limit the rule to one app; all when omitted. */
  appid?: string;
  latencyMs?: number;
  fail?: 'system-error' | 'timeout' | 'drop';
  /** Answer this errcode (with `errmsg` or WeChat's text for it) instead of the real outcome. */
  errcode?: number;
  errmsg?: string;
  /** Share of the matching calls it hits, in (0, 1]; default 1. */
  rate?: number;
  /** Hit this many calls, then disappear; forever when omitted. */
  count?: number;
}

export interface ActiveFault extends FaultRule {
  id: number;
}

/** What the faults decided for one call. */
export interface FaultDecision {
  latencyMs: number;
  outcome?: { kind: 'drop' | 'timeout' } | { kind: 'errcode'; errcode: number; errmsg?: string };
}

function invalid(message: string): never {
  throw new TypeError(`fault rule: ${message}`);
}

export function validateFaultRule(input: unknown): FaultRule {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) invalid('must be an object');
  const r = input as Record<string, unknown>;
  const rule: FaultRule = {};
  if (r.api !== undefined) rule.api = isWechatApi(r.api) ? r.api : invalid(`unknown api ${String(r.api)}`);
  if (r.appid !== undefined) rule.appid = typeof r.appid === 'string' ? r.appid : invalid('appid must be a string');
  if (r.latencyMs !== undefined) {
    const ok =
      typeof r.latencyMs === 'number' && Number.isInteger(r.latencyMs) && r.latencyMs >= 0 && r.latencyMs <= 120_000;
    rule.latencyMs = ok ? (r.latencyMs as number) : invalid('latencyMs must be a whole number of ms, at most 120000');
  }
  if (r.fail !== undefined) {
    const ok = r.fail === 'system-error' || r.fail === 'timeout' || r.fail === 'drop';
    rule.fail = ok ? (r.fail as FaultRule['fail']) : invalid('fail must be system-error, timeout or drop');
  }
  if (r.errcode !== undefined)
    rule.errcode = Number.isInteger(r.errcode) ? (r.errcode as number) : invalid('errcode must be an integer');
  if (r.errmsg !== undefined)
    rule.errmsg = typeof r.errmsg === 'string' ? r.errmsg : invalid('errmsg must be a string');
  if (r.rate !== undefined) {
    const ok = typeof r.rate === 'number' && r.rate > 0 && r.rate <= 1;
    rule.rate = ok ? (r.rate as number) : invalid('rate must be in (0, 1]');
  }
  if (r.count !== undefined) {
    const ok = typeof r.count === 'number' && Number.isInteger(r.count) && r.count > 0;
    rule.count = ok ? (r.count as number) : invalid('count must be a whole number > 0');
  }
  if (rule.fail !== undefined && rule.errcode !== undefined) invalid('give fail or errcode, not both');
  if (rule.errmsg !== undefined && rule.errcode === undefined) invalid('errmsg needs errcode');
  if (rule.latencyMs === undefined && rule.fail === undefined && rule.errcode === undefined) {
    invalid('give latencyMs, fail or errcode');
  }
  return rule;
}

export class Faults {
  #rules: ActiveFault[] = [];
  #nextId = 1;
  #draws = 0;
  readonly #derive: Derivation;

  constructor(derive: Derivation) {
    this.#derive = derive;
  }

  add(input: unknown): ActiveFault {
    const active = { id: this.#nextId++, ...validateFaultRule(input) };
    this.#rules.push(active);
    return { ...active };
  }

  list(): ActiveFault[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  remove(id: number): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length < before;
  }

  clear(): void {
    this.#rules = [];
  }

  /**
   * Rolls every matching rule for one call. Latencies add up; the first rule that hits with an
   * outcome decides it. Rates draw from the seeded stream, so one seed replays the same faults.
   */
  decide(api: WechatApi, appid: string | undefined): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const rule of [...this.#rules]) {
      if (rule.api !== undefined && rule.api !== api) continue;
      if (rule.appid !== undefined && rule.appid !== appid) continue;
      const hasOutcome = rule.fail !== undefined || rule.errcode !== undefined;
      if (hasOutcome && decision.outcome) continue;
      if (rule.rate !== undefined && this.#draw() >= rule.rate) continue;
      decision.latencyMs += rule.latencyMs ?? 0;
      if (rule.errcode !== undefined)
        decision.outcome = { kind: 'errcode', errcode: rule.errcode, errmsg: rule.errmsg };
      else if (rule.fail === 'system-error') decision.outcome = { kind: 'errcode', errcode: -1 };
      else if (rule.fail !== undefined) decision.outcome = { kind: rule.fail };
      if (rule.count !== undefined && --rule.count === 0) this.remove(rule.id);
    }
    return decision;
  }

  #draw(): number {
    return this.#derive.pick(`fault\0${this.#draws++}`, 1_000_000) / 1_000_000;
  }
}
