/** Building modern sessions in tests. */
import { sharedHeap } from "../../src/crypto/heap.ts";
import { linkPsk } from "../../src/crypto/link-psk.ts";
import { ModernSession } from "../../src/transport/codec/modern-session.ts";
import { encodePayload } from "../../src/transport/codec/modern-wire.ts";
import type { LinkSession, SessionLimits } from "../../src/transport/codec/session.ts";
import { collector } from "./sessions.ts";

const psks = new Map<string, Uint8Array>();

/** linkPsk, once per key string (scrypt takes ~0.1 s). */
export function psk(key: string): Uint8Array {
  let p = psks.get(key);
  if (!p) {
    p = linkPsk(key);
    psks.set(key, p);
  }
  return p;
}

export const osRandom = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export function modern(
  role: "connect" | "listen",
  keys: string[],
  opts: {
    node?: string;
    /** Raw payload bytes instead of a well-formed one. */
    payload?: Uint8Array;
    random?: (n: number) => Uint8Array;
    limits?: SessionLimits;
    rekeyBytes?: number;
  } = {},
): ModernSession {
  return new ModernSession({
    role,
    psks: keys.map(psk),
    payload: opts.payload ?? encodePayload({ node: opts.node ?? `${role}-node`, software: "smolmesh test" }),
    random: opts.random ?? osRandom,
    heap: sharedHeap(),
    limits: opts.limits,
    rekeyBytes: opts.rekeyBytes,
  });
}

/** Takes everything a session has queued. */
export function drain(s: LinkSession): Uint8Array {
  const { at, length } = s.writeSource();
  const out = sharedHeap()
    .u8()
    .slice(at, at + length);
  s.wrote(length);
  return out;
}

/** Moves bytes both ways until neither side has anything to send; returns the first error. */
export function pump(a: LinkSession, b: LinkSession) {
  const sinkA = collector();
  const sinkB = collector();
  for (let i = 0; i < 10; i++) {
    const ab = drain(a);
    const ba = drain(b);
    if (ab.length === 0 && ba.length === 0) break;
    const e1 = ab.length ? b.feed(ab, sinkB) : undefined;
    if (e1) return { error: e1, side: "b" as const, atA: sinkA.got, atB: sinkB.got };
    const e2 = ba.length ? a.feed(ba, sinkA) : undefined;
    if (e2) return { error: e2, side: "a" as const, atA: sinkA.got, atB: sinkB.got };
  }
  return { error: undefined, atA: sinkA.got, atB: sinkB.got };
}
