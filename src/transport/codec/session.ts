/**
 * What the link driver (link.ts) needs from a protocol's session: a
 * byte-in/byte-out state machine whose buffers live in the shared wasm
 * heap. Socket reads land at `readTarget()` and are handed over with
 * `received()`; frames are written at `reserve()` and sealed by
 * `commit()`; `writeSource()` is what goes to the socket next.
 * Implemented by LegacySession (both smolmesh2 generations), ModernSession
 * (LINK-PROTOCOL.md) and DetectingSession (a port that serves both).
 */

export type Role = "connect" | "listen";

/** Why a session ended. Each closes only this connection. */
export type SessionError =
  | "wrong-key" // no configured key opens the peer's handshake
  | "bad-mac" // a frame failed authentication
  | "bad-length" // a frame claims a length the protocol never sends
  | "bad-magic" // a modern-only port got bytes that are not the modern magic (a legacy connector?)
  | "bad-version" // the modern magic with a version this node does not speak
  | "bad-handshake" // a handshake message of the wrong size, or with a bad key inside
  | "handshake-auth" // the listener's answer did not authenticate (tampered)
  | "bad-payload" // the handshake payload is not a JSON object with a string "node"
  | "unconfirmed" // the connector's first frame did not open: it never proved it holds the key
  | "peer-closed"; // the peer sent a close frame (its reason is in `peerCloseReason`)

export interface FrameSink {
  /** A verified payload at heap[p, p+len), valid only during the call. */
  packet(p: number, len: number): void;
}

export interface SessionLimits {
  /** Bytes of sealed frames a data packet may still be queued behind. */
  dataQueueBytes: number;
  /** Hard cap of the send buffer; control frames may use the space above the data limit. */
  sendBufferBytes: number;
}

export const DEFAULT_LIMITS: SessionLimits = {
  dataQueueBytes: 256 * 1024,
  sendBufferBytes: 512 * 1024,
};

export interface LinkSession {
  /** Frames flow both ways (a modern listener: once the connector's first frame opened). */
  readonly established: boolean;
  /** Bytes waiting to be written to the socket. */
  readonly pending: number;
  /** "modern", or the legacy generation ("speck", "gimli"); undefined until the handshake tells. */
  readonly protocol: string | undefined;
  /** The peer's node name from the handshake payload (modern links only). */
  readonly peerName: string | undefined;
  /** The reason in the peer's close frame, once one arrived. */
  readonly peerCloseReason: string | undefined;
  /** Times the sending / receiving key was replaced (modern links). */
  readonly txRekeys: number;
  readonly rxRekeys: number;
  /** Frames of a type this version does not know, skipped. */
  readonly ignoredFrames: number;

  readTarget(): { at: number; room: number };
  received(n: number, sink: FrameSink): SessionError | undefined;
  /** Copies `bytes` in and processes them (tests, and a session taking over sniffed bytes). */
  feed(bytes: Uint8Array, sink: FrameSink): SessionError | undefined;
  /** Heap address to write a payload of `len` bytes at, or 0 when it must be dropped. */
  reserve(len: number, data: boolean): number;
  /** Seals the payload written at `reserve(len)` and queues it. */
  commit(len: number): void;
  writeSource(): { at: number; length: number };
  wrote(n: number): void;
  /** A new sending key now (modern); false when the queue has no room, try again later. */
  rekey(): boolean;
  /** Queues a close frame with `reason` where the protocol has one (modern). */
  sayGoodbye(reason: string): void;
  dispose(): void;
}

/** A session's keys: at least one, and exactly one when it connects. */
export function checkKeyCount(role: Role, count: number, what: string): void {
  if (count === 0) throw new RangeError(`"${what}" expected at least one key`);
  if (role === "connect" && count !== 1) {
    throw new RangeError(`a connecting session takes exactly one key, got ${count}`);
  }
}

/** Reads socket-sized chunks of `bytes` through readTarget/received (the body of every `feed`). */
export function feedThrough(s: LinkSession, heapU8: () => Uint8Array, bytes: Uint8Array, sink: FrameSink) {
  let off = 0;
  while (off < bytes.length) {
    const { at, room } = s.readTarget();
    if (room === 0) return "bad-length" as const;
    const n = Math.min(room, bytes.length - off);
    heapU8().set(bytes.subarray(off, off + n), at);
    off += n;
    const err = s.received(n, sink);
    if (err) return err;
  }
  return undefined;
}
