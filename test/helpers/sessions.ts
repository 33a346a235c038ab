/** Building legacy sessions in tests. */
import { sharedHeap } from "../../src/crypto/heap.ts";
import type { LegacySuite } from "../../src/crypto/suite.ts";
import { type FrameSink, LegacySession, type SessionLimits } from "../../src/transport/codec/legacy-session.ts";
import { utf8 } from "./vectors.ts";

export function session(
  role: "connect" | "listen",
  suite: LegacySuite,
  keys: string[],
  iv: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
  limits?: SessionLimits,
): LegacySession {
  return new LegacySession({
    role,
    candidates: keys.map((k) => ({ suite, key: utf8(k) })),
    iv,
    heap: sharedHeap(),
    limits,
  });
}

/** A sink that copies every payload out. */
export function collector(): FrameSink & { got: Uint8Array[] } {
  const got: Uint8Array[] = [];
  return {
    got,
    packet(p, len) {
      got.push(
        sharedHeap()
          .u8()
          .slice(p, p + len),
      );
    },
  };
}

/** Runs both handshakes to completion; throws if either fails. */
export function pair(a: LegacySession, b: LegacySession): void {
  const sink = collector();
  for (let i = 0; i < 3 && !(a.established && b.established); i++) {
    const e1 = b.feed(a.drain(), sink);
    if (e1) throw new Error(`handshake failed: ${e1}`);
    const e2 = a.feed(b.drain(), sink);
    if (e2) throw new Error(`handshake failed: ${e2}`);
  }
  if (!(a.established && b.established)) throw new Error("handshake did not complete");
}
