/**
 * Token buckets per source address: each source may send `burst` queries
 * at once and `perSecond` after that; the rest are dropped unanswered. The
 * table holds at most `maxSources` buckets (the least recently used goes),
 * so a flood of sources costs bounded memory. Time comes in as `now` (ms).
 */

export interface RateLimits {
  perSecond: number;
  burst: number;
  maxSources: number;
}

/** A busy machine's resolver asks a few names a second; a loop asks thousands. */
export const DEFAULT_DNS_RATE: RateLimits = { perSecond: 200, burst: 400, maxSources: 1024 };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: RateLimits = DEFAULT_DNS_RATE) {}

  /** Whether `source` may have an answer now; takes a token when it may. */
  allow(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (b) {
      this.buckets.delete(source); // re-inserted last: the Map's order is least recently used first
      b.tokens = Math.min(this.limits.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.limits.perSecond);
      b.at = now;
    } else {
      if (this.buckets.size >= this.limits.maxSources) {
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
      }
      b = { tokens: this.limits.burst, at: now };
    }
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get sources(): number {
    return this.buckets.size;
  }
}

/** Whether a query's source is this machine: loopback, or one of the node's own addresses. */
export function fromThisMachine(ip: Uint8Array, own: readonly Uint8Array[]): boolean {
  if (ip.length === 4 && ip[0] === 127) return true;
  if (ip.length === 16 && ip[15] === 1 && ip.subarray(0, 15).every((b) => b === 0)) return true;
  return own.some((a) => a.length === ip.length && a.every((b, i) => b === ip[i]));
}
