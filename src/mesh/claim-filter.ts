/**
 * Which addresses a flood may claim at this node. A flood (cmd 0's
 * name-derived IPv6, cmd 1's IPv6, cmd 2's IPv4) says "route this address
 * to me"; believed blindly, one peer holding a link key could route any
 * address of every node into the mesh: the internet (1.1.1.1), or the very
 * addresses the node's links run over, which kills those links. So, as
 * WireGuard's AllowedIPs and routing daemons' prefix filters do, a claim is
 * accepted only inside the configured ranges (`accept_ipv4`,
 * `accept_ipv6`), and never, whatever the ranges say, for:
 *
 *   - a special address (addr/special.ts: loopback, link-local, multicast,
 *     broadcast, unspecified, IPv4-mapped),
 *   - this node's own addresses (its name-derived IPv6, its IPv4s),
 *   - an underlay address: the peer or local address of a live link, a
 *     connect transport's resolved host, a listener's bind address. The
 *     node keeps this set (`addUnderlay`, `removeUnderlay`, counted, since
 *     several links may share an address).
 *
 * Sans-I/O: plain data in, a verdict out. `check` costs a few comparisons
 * and one Set lookup; it runs once per new flood, not per copy.
 */
import { type Cidr, cidrContains, formatCidr, parseCidr } from "../addr/cidr.ts";
import { type SpecialClass, specialClassAt } from "../addr/special.ts";
import { type AddrKey, addrKey, keyOf } from "./addr-key.ts";

/** Private IPv4 (RFC 1918) and shared address space (RFC 6598, where Tailscale and others number their nodes). */
export const DEFAULT_ACCEPT_IPV4: readonly string[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
];
/** Unique local IPv6; every name-derived address lies in fd00::/16. */
export const DEFAULT_ACCEPT_IPV6: readonly string[] = ["fd00::/8"];

/** Why a claim is refused: a special class, outside the ranges, ours, or a link's underlay. */
export type ClaimRefusal = SpecialClass | "outside" | "own" | "underlay";
export type ClaimVerdict = "accept" | ClaimRefusal;

export interface ClaimRanges {
  /** CIDR ranges, as validated by the config (default DEFAULT_ACCEPT_IPV4). */
  ipv4?: readonly string[];
  /** Default DEFAULT_ACCEPT_IPV6. */
  ipv6?: readonly string[];
}

function parseAll(texts: readonly string[], family: 4 | 6): Cidr[] {
  return texts.map((t) => {
    const c = parseCidr(t, family);
    if (typeof c === "string") throw new RangeError(`accept_ipv${family}: "${t}": expected ${c}`);
    return c;
  });
}

export class ClaimFilter {
  /** IPv4 ranges as (network, mask) pairs of u32, to test against an IPv4 AddrKey. */
  private readonly v4: Uint32Array;
  private readonly v6: Cidr[];
  private readonly own = new Set<AddrKey>();
  /** Underlay address -> how many users (links, connectors, listeners) it has. */
  private readonly underlay = new Map<AddrKey, number>();
  /** The ranges in canonical text ("fd00::/8"), for `check` and status. */
  readonly acceptIpv4: readonly string[];
  readonly acceptIpv6: readonly string[];

  /** Throws RangeError on a range that is not valid CIDR (the config validates them first). */
  constructor(ranges: ClaimRanges = {}) {
    const v4 = parseAll(ranges.ipv4 ?? DEFAULT_ACCEPT_IPV4, 4);
    this.v6 = parseAll(ranges.ipv6 ?? DEFAULT_ACCEPT_IPV6, 6);
    this.v4 = new Uint32Array(v4.length * 2);
    v4.forEach((c, i) => {
      this.v4[2 * i] = keyOf(c.ip) as number;
      this.v4[2 * i + 1] = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    });
    this.acceptIpv4 = v4.map(formatCidr);
    this.acceptIpv6 = this.v6.map(formatCidr);
  }

  /** One of this node's own addresses (4 or 16 bytes): never claimable by a peer. */
  addOwn(ip: Uint8Array): void {
    this.own.add(keyOf(ip));
  }

  /** An address a link runs over; true when it was not protected before. */
  addUnderlay(ip: Uint8Array): boolean {
    const k = keyOf(ip);
    const n = this.underlay.get(k) ?? 0;
    this.underlay.set(k, n + 1);
    return n === 0;
  }

  /** One user of an underlay address is gone; true when nothing protects it any more. */
  removeUnderlay(ip: Uint8Array): boolean {
    const k = keyOf(ip);
    const n = this.underlay.get(k);
    if (n === undefined) return false;
    if (n > 1) {
      this.underlay.set(k, n - 1);
      return false;
    }
    this.underlay.delete(k);
    return true;
  }

  /** The underlay addresses protected now, as route keys. */
  underlayKeys(): IterableIterator<AddrKey> {
    return this.underlay.keys();
  }

  /**
   * Whether a flood may claim the 4- or 16-byte address at b[off, off+len).
   * `key` is its AddrKey when the caller has it already.
   */
  check(b: Uint8Array, off: number, len: 4 | 16, key: AddrKey = addrKey(b, off, len)): ClaimVerdict {
    const special = specialClassAt(b, off, len);
    if (special !== undefined) return special;
    if (this.own.has(key)) return "own";
    if (this.underlay.has(key)) return "underlay";
    return this.inRanges(b, off, len, key) ? "accept" : "outside";
  }

  /** `check` of a whole address. */
  checkAddr(ip: Uint8Array): ClaimVerdict {
    if (ip.length !== 4 && ip.length !== 16) throw new RangeError(`"ip" expected 4 or 16 bytes, got ${ip.length}`);
    return this.check(ip, 0, ip.length);
  }

  private inRanges(b: Uint8Array, off: number, len: 4 | 16, key: AddrKey): boolean {
    if (len === 4) {
      const a = key as number;
      const v4 = this.v4;
      for (let i = 0; i < v4.length; i += 2) if ((a & (v4[i + 1] as number)) >>> 0 === v4[i]) return true;
      return false;
    }
    for (const c of this.v6) if (cidrContains(c, b, off)) return true;
    return false;
  }
}

/** How a refusal reads in a log line: "outside accept_ipv4", "a loopback address", ... */
export function describeRefusal(reason: ClaimRefusal, family: 4 | 6): string {
  switch (reason) {
    case "outside":
      return `outside accept_ipv${family}`;
    case "own":
      return "one of this node's own addresses";
    case "underlay":
      return "an address one of this node's links runs over";
    default:
      return `a ${reason} address`;
  }
}
