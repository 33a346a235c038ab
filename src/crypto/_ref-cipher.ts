/**
 * The frame cipher of a plain TypeScript suite: any keystream and H2 MAC,
 * working on the shared heap's bytes like the WebAssembly ciphers do, so
 * the session code runs unchanged on either.
 */
import { sharedHeap } from "./heap.ts";
import { checkKey16, FrameCipher } from "./suite.ts";

export interface RefKeystreamLike {
  xor(data: Uint8Array): void;
}

export class RefFrameCipher extends FrameCipher {
  private readonly ks: RefKeystreamLike;
  private readonly macKey: Uint8Array;
  private live = true;

  constructor(
    encKey: Uint8Array,
    macKey: Uint8Array,
    keystream: (key: Uint8Array) => RefKeystreamLike,
    private readonly hash2: (x: Uint8Array, y: Uint8Array) => Uint8Array,
  ) {
    super(sharedHeap());
    checkKey16("encKey", encKey);
    checkKey16("macKey", macKey);
    this.ks = keystream(encKey);
    this.macKey = macKey.slice();
  }

  private check(): void {
    if (!this.live) throw new Error("FrameCipher used after dispose()");
  }

  xorAt(p: number, len: number): void {
    this.check();
    this.ks.xor(this.heap.u8().subarray(p, p + len));
  }

  macAt(p: number, len: number, out: number): void {
    this.check();
    const m = this.heap.u8();
    m.set(this.hash2(this.macKey, m.subarray(p, p + len)), out);
  }

  verifyAt(p: number, len: number): boolean {
    this.check();
    const m = this.heap.u8();
    const want = this.hash2(this.macKey, m.subarray(p, p + len));
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= (want[i] as number) ^ (m[p + len + i] as number);
    return diff === 0;
  }

  dispose(): void {
    this.live = false;
  }
}
