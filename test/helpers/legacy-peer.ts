/**
 * A legacy_tcp peer written for the tests from the protocol description
 * alone (DESIGN.md and the vectors' notes), sharing no code with src/: if
 * smolmesh and this peer agree, it is not because both carry the same bug.
 * It uses Bun's own sockets, not smolmesh's reactor.
 */
import type { Socket } from "bun";
import { linuxNet } from "../../src/platform/linux/net.ts";
import { Waiter } from "./waiter.ts";

const M64 = (1n << 64n) - 1n;

function round(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
  x = ((((x >> 8n) | (x << 56n)) & M64) + y) & M64;
  x ^= k;
  y = (((y << 3n) | (y >> 61n)) & M64) ^ x;
  return [x, y];
}

function le64(b: Uint8Array, o: number): bigint {
  return new DataView(b.buffer, b.byteOffset + o, 8).getBigUint64(0, true);
}

function out16(a: bigint, b: bigint): Uint8Array {
  const r = new Uint8Array(16);
  const dv = new DataView(r.buffer);
  dv.setBigUint64(0, a, true);
  dv.setBigUint64(8, b, true);
  return r;
}

/** One round on a state held as four u32 words [xh, xl, yh, yl]. */
function round32(st: Uint32Array, kh: number, kl: number): void {
  const xh = st[0] as number;
  const xl = st[1] as number;
  const rh = ((xh >>> 8) | (xl << 24)) >>> 0;
  const rl = ((xl >>> 8) | (xh << 24)) >>> 0;
  const sl = (rl + (st[3] as number)) >>> 0;
  const sh = (rh + (st[2] as number) + (sl < rl ? 1 : 0)) >>> 0;
  const nxh = (sh ^ kh) >>> 0;
  const nxl = (sl ^ kl) >>> 0;
  const yh = st[2] as number;
  const yl = st[3] as number;
  st[0] = nxh;
  st[1] = nxl;
  st[2] = (((yh << 3) | (yl >>> 29)) ^ nxh) >>> 0;
  st[3] = (((yl << 3) | (yh >>> 29)) ^ nxl) >>> 0;
}

/** multispeck over any number of inputs: a=69, b=count. */
export function multiHash(...inputs: Uint8Array[]): Uint8Array {
  const st = new Uint32Array([0, 69, 0, inputs.length]);
  for (const input of inputs) {
    round32(st, 0, input.length);
    for (const c of input) round32(st, 0, c);
    round32(st, 0, 0);
  }
  const r = new Uint8Array(16);
  const dv = new DataView(r.buffer);
  dv.setUint32(0, st[1] as number, true);
  dv.setUint32(4, st[0] as number, true);
  dv.setUint32(8, st[3] as number, true);
  dv.setUint32(12, st[2] as number, true);
  return r;
}

/** The mesh IPv6 of a node name. */
export function meshIpv6(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  let a = 69n;
  let b = BigInt(bytes.length);
  for (const c of bytes) {
    [a, b] = round(a, b, BigInt(c));
    for (let i = 0; i < 32; i++) [a, b] = round(a, b, 0n);
  }
  for (let i = 0; i < 32; i++) [a, b] = round(a, b, 0n);
  while ((b & 0xffffn) !== 0xfdn) [a, b] = round(a, b, 0n);
  return out16(b, a);
}

/** SPECK CTR keystream; round keys as u32 halves for speed. */
export class Keystream {
  private readonly rk = new Uint32Array(64);
  private ctr = 0n;
  private block = new Uint8Array(16);
  private used = 16;

  constructor(key: Uint8Array) {
    let a = le64(key, 8);
    let b = le64(key, 0);
    for (let i = 0; i < 32; i++) {
      this.rk[2 * i] = Number(b >> 32n);
      this.rk[2 * i + 1] = Number(b & 0xffffffffn);
      [a, b] = round(a, b, BigInt(i));
    }
  }

  private next(): void {
    this.ctr++;
    const st = new Uint32Array([
      Number(this.ctr >> 96n),
      Number((this.ctr >> 64n) & 0xffffffffn),
      Number((this.ctr >> 32n) & 0xffffffffn),
      Number(this.ctr & 0xffffffffn),
    ]);
    for (let i = 0; i < 32; i++) round32(st, this.rk[2 * i] as number, this.rk[2 * i + 1] as number);
    const dv = new DataView(this.block.buffer);
    dv.setUint32(0, st[1] as number, true);
    dv.setUint32(4, st[0] as number, true);
    dv.setUint32(8, st[3] as number, true);
    dv.setUint32(12, st[2] as number, true);
    this.used = 0;
  }

  apply(data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      if (this.used === 16) this.next();
      data[i] = (data[i] as number) ^ (this.block[this.used++] as number);
    }
  }
}

const te = new TextEncoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Mesh packet helpers. */
export function meshPacket(cmd: number, body: Uint8Array, ts = Date.now()): Uint8Array {
  const p = new Uint8Array(9 + body.length);
  new DataView(p.buffer).setBigUint64(0, BigInt(ts), true);
  p[8] = cmd;
  p.set(body, 9);
  return p;
}

export function ipv6Datagram(src: Uint8Array, dst: Uint8Array, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60;
  new DataView(p.buffer).setUint16(4, payload.length);
  p[6] = 17;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, 40);
  return p;
}

/** A UDP-in-IPv4 packet (header checksum left 0: nothing on the mesh checks it). */
export function ipv4Datagram(src: Uint8Array, dst: Uint8Array, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  new DataView(p.buffer).setUint16(2, p.length);
  p[8] = 64;
  p[9] = 17;
  p.set(src, 12);
  p.set(dst, 16);
  p.set(payload, 20);
  return p;
}

interface Dir {
  ks: Keystream;
  macKey: Uint8Array;
}

function direction(key: Uint8Array, iv: Uint8Array): Dir {
  return {
    ks: new Keystream(multiHash(key, iv, te.encode("enc_key"))),
    macKey: multiHash(key, iv, te.encode("mac_key")),
  };
}

export class LegacyPeer extends Waiter {
  readonly packets: Uint8Array[] = [];
  closed = false;
  private rx: Dir | undefined;
  private tx: Dir | undefined;
  private inbuf: Uint8Array = new Uint8Array(0);
  /** Bytes Bun's socket did not take yet (its write() does not buffer). */
  private outq: Uint8Array[] = [];
  queued = 0;
  badMac = false;

  private constructor(
    private readonly sock: Socket<undefined>,
    private readonly key: Uint8Array,
    private readonly iv: Uint8Array,
  ) {
    super();
  }

  /** Connects, sends our hello and waits for a valid answer. */
  static async connect(port: number, key: string, host = "127.0.0.1", timeoutMs = 5000): Promise<LegacyPeer> {
    let peer: LegacyPeer | undefined;
    const keyBytes = te.encode(key);
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const sock = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, d) => peer?.onData(new Uint8Array(d)),
        drain: () => peer?.flush(),
        close: () => peer?.onClose(),
        error: () => peer?.onClose(),
      },
    });
    peer = new LegacyPeer(sock, keyBytes, iv);
    peer.write(concat([iv, multiHash(keyBytes, iv, te.encode("keyfinder"))]));
    await peer.until(() => peer.tx !== undefined || peer.closed, timeoutMs, "handshake answer");
    if (!peer.tx) throw new Error("the node closed the connection during the handshake");
    return peer;
  }

  /** Raw bytes to a port, for garbage tests; resolves when the node closes the connection. */
  static async rawUntilClosed(port: number, bytes: Uint8Array, timeoutMs = 15_000): Promise<number> {
    const t0 = performance.now();
    let resolve: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data: () => {}, close: () => resolve(), error: () => resolve() },
    });
    sock.write(bytes);
    const timer = setTimeout(() => {
      sock.end();
      resolve();
    }, timeoutMs);
    await done;
    clearTimeout(timer);
    return performance.now() - t0;
  }

  private onData(d: Uint8Array): void {
    this.inbuf = concat([this.inbuf, d]);
    if (!this.rx) {
      if (this.inbuf.length < 32) return;
      const iv = this.inbuf.slice(0, 16);
      const want = multiHash(this.key, iv, te.encode("keyfinder"));
      if (!want.every((b, i) => b === this.inbuf[16 + i])) {
        this.sock.end();
        this.onClose();
        return;
      }
      this.rx = direction(this.key, iv);
      this.tx = direction(this.key, this.iv);
      this.inbuf = this.inbuf.slice(32);
      this.rx.ks.apply(this.inbuf);
    } else {
      this.rx.ks.apply(this.inbuf.subarray(this.inbuf.length - d.length));
    }
    for (;;) {
      if (this.inbuf.length < 2) break;
      const len = (this.inbuf[0] as number) | ((this.inbuf[1] as number) << 8);
      if (this.inbuf.length < len + 18) break;
      const payload = this.inbuf.slice(2, 2 + len);
      const mac = multiHash(this.rx.macKey, payload);
      if (!mac.every((b, i) => b === this.inbuf[2 + len + i])) {
        this.badMac = true;
        this.sock.end();
        return;
      }
      this.packets.push(payload);
      this.inbuf = this.inbuf.slice(len + 18);
    }
    this.wake();
  }

  private write(b: Uint8Array): void {
    if (this.outq.length === 0) {
      const n = this.sock.write(b);
      if (n >= b.length) return;
      b = b.subarray(Math.max(0, n));
    }
    this.outq.push(b);
    this.queued += b.length;
  }

  flush(): void {
    while (this.outq.length) {
      const b = this.outq[0] as Uint8Array;
      const n = this.sock.write(b);
      if (n < b.length) {
        this.outq[0] = b.subarray(Math.max(0, n));
        this.queued -= Math.max(0, n);
        return;
      }
      this.outq.shift();
      this.queued -= b.length;
    }
    this.wake();
  }

  /** Resolves when at most `limit` bytes wait to be written. */
  async drained(limit = 0, timeoutMs = 30_000): Promise<void> {
    await this.until(() => this.queued <= limit || this.closed, timeoutMs, "the socket to drain");
  }

  private onClose(): void {
    this.closed = true;
    this.wake();
  }

  /** Sends one mesh packet as a frame. */
  send(payload: Uint8Array): void {
    if (!this.tx) throw new Error("not established");
    const frame = concat([
      Uint8Array.from([payload.length & 0xff, payload.length >> 8]),
      payload,
      multiHash(this.tx.macKey, payload),
    ]);
    this.tx.ks.apply(frame);
    this.write(frame);
  }

  /** Sends a frame whose MAC has one bit flipped. */
  sendTampered(payload: Uint8Array): void {
    if (!this.tx) throw new Error("not established");
    const mac = multiHash(this.tx.macKey, payload);
    mac[0] = (mac[0] as number) ^ 1;
    const frame = concat([Uint8Array.from([payload.length & 0xff, payload.length >> 8]), payload, mac]);
    this.tx.ks.apply(frame);
    this.write(frame);
  }

  announce(name: string): void {
    this.send(meshPacket(0, te.encode(name)));
  }

  /** Received packets of command `cmd` (optionally with this exact body text). */
  received(cmd: number, body?: string): Uint8Array[] {
    return this.packets.filter(
      (p) => p[8] === cmd && (body === undefined || new TextDecoder().decode(p.subarray(9)) === body),
    );
  }

  close(): void {
    this.sock.end();
  }
}

/**
 * A peer that completes its half of the handshake, announces `name`, and
 * then never reads: the node's sends to it back up until its queue is
 * full. Uses a plain socket (Bun's sockets always read). Returns a closer.
 */
export async function stalledPeer(port: number, key: string, name: string): Promise<() => void> {
  const keyBytes = te.encode(key);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const tx = direction(keyBytes, iv);
  const body = meshPacket(0, te.encode(name));
  const frame = concat([Uint8Array.from([body.length & 0xff, body.length >> 8]), body, multiHash(tx.macKey, body)]);
  tx.ks.apply(frame);
  const hello = concat([iv, multiHash(keyBytes, iv, te.encode("keyfinder")), frame]);
  const fd = linuxNet.connect({ ip: Uint8Array.from([127, 0, 0, 1]), port });
  const deadline = performance.now() + 5000;
  let sent = 0;
  while (sent < hello.length) {
    const n = linuxNet.write(fd, hello, sent, hello.length - sent);
    if (n > 0) sent += n;
    else if (performance.now() > deadline) throw new Error("stalled peer could not send its hello");
    else await Bun.sleep(5); // connect in progress: retry shortly (not a readiness stand-in; bounded by the deadline)
  }
  return () => linuxNet.close(fd);
}
