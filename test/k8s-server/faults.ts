/** Fault injection: fail, slow down or drop the next N requests that match. */

/** What to do to a matching request. */
export type FaultAction =
  /** Answer an error: 500 (InternalError, or ServerTimeout), 503, 504, or 429 (plain text like API Priority and Fairness, or a Status). */
  | { type: 'error'; status: 429 | 500 | 503 | 504; retryAfterSeconds?: number; message?: string; form?: 'status' | 'text'; reason?: 'InternalError' | 'ServerTimeout' }
  /** Wait before handling the request normally. */
  | { type: 'latency'; ms: number }
  /** Destroy the connection without answering. */
  | { type: 'drop' };

/** A fault rule. Omitted matchers match anything. */
export interface FaultSpec {
  /** HTTP method(s), e.g. `'GET'`. */
  method?: string | string[];
  /** Tested against the path (no query string). */
  path?: RegExp | string;
  /** Tested against the raw query string (without `?`), e.g. `/continue=/`. */
  query?: RegExp;
  /** How many matching requests to affect (default 1; `Infinity` for all). */
  times?: number;
  action: FaultAction;
}

/** A registered fault. */
export interface FaultHandle {
  /** Matching requests still to be affected. */
  readonly remaining: number;
  /** How many requests it affected so far. */
  readonly hits: number;
  /** Removes it. */
  clear(): void;
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
  hits: number;
}

/** The registered faults, in order. */
export class FaultTable {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, remaining: spec.times ?? 1, hits: 0 };
    this.faults.push(fault);
    return {
      get remaining() {
        return fault.remaining;
      },
      get hits() {
        return fault.hits;
      },
      clear: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** The actions for a request, consuming one use of each matching fault (latency first, then at most one terminal action). */
  take(method: string, path: string, query: string): FaultAction[] {
    const actions: FaultAction[] = [];
    for (const fault of this.faults) {
      if (fault.remaining <= 0 || !matches(fault.spec, method, path, query)) continue;
      const terminal = fault.spec.action.type !== 'latency';
      if (terminal && actions.some((a) => a.type !== 'latency')) continue;
      fault.remaining -= 1;
      fault.hits += 1;
      actions.push(fault.spec.action);
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return actions;
  }
}

function matches(spec: FaultSpec, method: string, path: string, query: string): boolean {
  if (spec.method !== undefined) {
    const methods = (Array.isArray(spec.method) ? spec.method : [spec.method]).map((m) => m.toUpperCase());
    if (!methods.includes(method.toUpperCase())) return false;
  }
  if (spec.path !== undefined) {
    const re = typeof spec.path === 'string' ? new RegExp(spec.path) : spec.path;
    re.lastIndex = 0;
    if (!re.test(path)) return false;
  }
  if (spec.query === undefined) return true;
  spec.query.lastIndex = 0;
  return spec.query.test(query);
}
