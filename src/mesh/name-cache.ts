/**
 * Node names heard in floods, with what they map to, found by the name's
 * UTF-8 bytes: a name flood whose name is cached is neither decoded nor
 * run through SPECK again, and its route key is the same string every
 * time. (Decoding cost a typed-array view and a string per flood: a tenth
 * of a 1,000-node simulation.)
 */
import type { AddrKey } from "./addr-key.ts";

export interface NameInfo {
  readonly name: string;
  /** The name's UTF-8 bytes, as flooded. */
  readonly utf8: Uint8Array;
  /** The name-derived mesh IPv6. */
  readonly ipv6: Uint8Array;
  /** The route key of `ipv6`. */
  readonly key: AddrKey;
}

/** FNV-1a over `b[off, off+len)`. */
function hashBytes(b: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = off; i < off + len; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h;
}

export class NameCache {
  /** By hash of the bytes; a colliding name replaces the entry (`find` compares the bytes). */
  private readonly byHash = new Map<number, NameInfo>();

  /** Holds `max` names at most, then starts over (0: caches nothing). */
  constructor(readonly max: number) {}

  get size(): number {
    return this.byHash.size;
  }

  /** The entry for the name whose UTF-8 bytes are exactly `b[off, off+len)`, if cached. */
  find(b: Uint8Array, off: number, len: number): NameInfo | undefined {
    const info = this.byHash.get(hashBytes(b, off, len));
    if (info === undefined || info.utf8.length !== len) return undefined;
    const u = info.utf8;
    for (let i = 0; i < len; i++) if (u[i] !== b[off + i]) return undefined;
    return info;
  }

  add(info: NameInfo): void {
    if (this.max === 0) return;
    if (this.byHash.size >= this.max) this.byHash.clear();
    this.byHash.set(hashBytes(info.utf8, 0, info.utf8.length), info);
  }
}
