/**
 * Limits on what one link can make the node hold, in the spirit of BGP's
 * maximum-prefix: the node knows at most `max` destinations, and each link
 * may introduce new ones at `perSecond` once past a `burst` (large enough
 * for a node to learn a big mesh in one go when it joins). Past either,
 * a flood for a destination the node does not know yet is dropped and
 * counted; destinations it already knows are untouched, whatever link
 * updates them. Sans-I/O: the caller passes `now`.
 */
export interface DestinationLimits {
  /** Destinations (routes) the node holds at most. */
  max: number;
  /** New destinations one link may introduce at once... */
  burst: number;
  /** ...and per second after that. */
  perSecond: number;
}

export const DEFAULT_DESTINATION_LIMITS: DestinationLimits = { max: 65_536, burst: 8192, perSecond: 100 };

export type GateRefusal = "full" | "rate";

interface Bucket {
  tokens: number;
  at: number;
}

export class DestinationGate {
  private readonly buckets = new Map<number, Bucket>();

  constructor(readonly limits: DestinationLimits = DEFAULT_DESTINATION_LIMITS) {}

  /**
   * May `link` introduce one new destination now, with `held` destinations
   * known? With `take` false it only asks (no allowance is used).
   */
  admit(link: number, held: number, now: number, take = true): GateRefusal | undefined {
    if (held >= this.limits.max) return "full";
    let b = this.buckets.get(link);
    if (b === undefined) {
      b = { tokens: this.limits.burst, at: now };
      this.buckets.set(link, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.limits.burst, b.tokens + ((now - b.at) * this.limits.perSecond) / 1000);
      b.at = now;
    }
    if (b.tokens < 1) return "rate";
    if (take) b.tokens--;
    return undefined;
  }

  /** A link closed: its allowance goes with it (a new link starts with a full burst). */
  forget(link: number): void {
    this.buckets.delete(link);
  }
}
