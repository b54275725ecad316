/**
 * EventCorrelator: decides, for each event the controller wants to record, whether to create a new core/v1 Event,
 * bump the count of an identical recent one, or drop it. Pure: every call is told the time the event happened.
 *
 * Contract (client-go's EventCorrelator, tools/record/events_cache.go):
 * - Spam filter first: a token bucket per involved object (burst 25, one token back every 5 minutes) so a pod
 *   stuck in a retry loop cannot flood the API server; a dropped event is reported as "drop".
 * - Identical events (same object, type, reason and message) within `windowMs` of the last one become a PATCH of
 *   the existing Event's count and lastTimestamp.
 * - The cache of recent events is an LRU of at most `maxEntries` (client-go's 4096).
 * - `created()` records the name of the Event the API server stored, `forget()` drops it (e.g. after a 404 because
 *   the API server's event TTL removed it), so the next repeat creates a fresh one.
 */

export type EventType = "Normal" | "Warning";

export interface EventInput {
  uid: string;
  reason: string;
  message: string;
  type: EventType;
}

export type Correlation =
  | { kind: "create"; key: string }
  | { kind: "patch"; key: string; name: string; count: number; firstMs: number }
  | { kind: "drop" };

export interface CorrelatorOptions {
  windowMs?: number;
  burst?: number;
  refillEveryMs?: number;
  maxEntries?: number;
}

/** client-go: defaultAggregateIntervalInSeconds = 600, spam burst 25, qps 1/300, maxLruCacheEntries 4096. */
export const EVENT_DEFAULTS = {
  windowMs: 600_000,
  burst: 25,
  refillEveryMs: 300_000,
  maxEntries: 4096,
} as const;

interface Recent {
  name: string;
  count: number;
  firstMs: number;
  lastMs: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Insertion-ordered Map as an LRU: touching an entry moves it to the end; the oldest is first. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

export class EventCorrelator {
  private readonly recent = new Map<string, Recent>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly settings: Required<CorrelatorOptions>;

  constructor(options: CorrelatorOptions = {}) {
    this.settings = { ...EVENT_DEFAULTS, ...stripUndefined(options) };
  }

  correlate(event: EventInput, now: number): Correlation {
    if (!this.takeToken(event.uid, now)) return { kind: "drop" };
    const key = [event.uid, event.type, event.reason, event.message].join("\u0000");
    const recent = this.recent.get(key);
    if (!recent || now - recent.lastMs > this.settings.windowMs) return { kind: "create", key };
    recent.count += 1;
    recent.lastMs = now;
    touch(this.recent, key, recent, this.settings.maxEntries);
    return { kind: "patch", key, name: recent.name, count: recent.count, firstMs: recent.firstMs };
  }

  created(key: string, name: string, now: number): void {
    touch(this.recent, key, { name, count: 1, firstMs: now, lastMs: now }, this.settings.maxEntries);
  }

  forget(key: string): void {
    this.recent.delete(key);
  }

  private takeToken(uid: string, now: number): boolean {
    const { burst, refillEveryMs, maxEntries } = this.settings;
    const bucket = this.buckets.get(uid) ?? { tokens: burst, updatedMs: now };
    const refilled = Math.floor((now - bucket.updatedMs) / refillEveryMs);
    if (refilled > 0) {
      bucket.tokens = Math.min(burst, bucket.tokens + refilled);
      bucket.updatedMs += refilled * refillEveryMs;
    }
    if (bucket.tokens >= burst) bucket.updatedMs = now;
    const allowed = bucket.tokens > 0;
    if (allowed) bucket.tokens -= 1;
    touch(this.buckets, uid, bucket, maxEntries);
    return allowed;
  }
}

function stripUndefined(options: CorrelatorOptions): Partial<Required<CorrelatorOptions>> {
  const out: Partial<Required<CorrelatorOptions>> = {};
  if (options.windowMs !== undefined) out.windowMs = options.windowMs;
  if (options.burst !== undefined) out.burst = options.burst;
  if (options.refillEveryMs !== undefined) out.refillEveryMs = options.refillEveryMs;
  if (options.maxEntries !== undefined) out.maxEntries = options.maxEntries;
  return out;
}
