/**
 * Known-answer checks run before a node starts, so a broken build (a bad
 * .wasm, a miscompiled runtime) refuses to run instead of talking garbage
 * to peers. Returns the failures; empty means good.
 */
import { createHash } from "node:crypto";
import { gimliWasm } from "./gimli-wasm.ts";
import { speckWasm } from "./speck-wasm.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export function cryptoSelfTest(): string[] {
  const w = speckWasm();
  const failures: string[] = [];
  const rk = w.keySchedule(Uint8Array.from(Buffer.from("000102030405060708090a0b0c0d0e0f", "hex")), 32);
  const [x, y] = w.encryptBlock(rk, 0x6c61766975716520n, 0x7469206564616d20n);
  if (x !== 0xa65d985179783265n || y !== 0x7860fedf5c570d18n) failures.push("Speck128/128 published vector");
  // from test/vectors/name_to_ipv6.json: the empty name
  if (hex(w.nameToIpv6(new Uint8Array(0))) !== "fd00170d4bc3decebaa1bf5515e68777") failures.push("name-to-ipv6 vector");
  // from test/vectors/frames_speck.json: keyfinder of 'testkey123' with IV 00..0f
  const iv = Uint8Array.from({ length: 16 }, (_, i) => i);
  const kf = w.multispeck3(new TextEncoder().encode("testkey123"), iv, new TextEncoder().encode("keyfinder"));
  if (hex(kf) !== "c3242a07f37e9d440ce0f3007dc014a6") failures.push("keyfinder vector");
  failures.push(...gimliSelfTest(iv));
  return failures;
}

/** The Gimli module (its permutation is WebAssembly SIMD) against the original program's vectors. */
function gimliSelfTest(iv: Uint8Array): string[] {
  const g = gimliWasm();
  const failures: string[] = [];
  // from test/vectors/frames_gimli.json: keyfinder of 'testkey123' with IV 00..0f
  const kf = g.multigimli3(new TextEncoder().encode("testkey123"), iv, new TextEncoder().encode("keyfinder"));
  if (hex(kf) !== "8e1d457d90c02ccd1610d7d5550a79cd") failures.push("Gimli keyfinder vector");
  // from test/vectors/keystream_gimli.json: SHA-256 of 1,000 keystream bytes of key 00..0f
  const ks = createHash("sha256").update(g.keystream(iv, 1000)).digest("hex");
  if (ks !== "212ed8ccde4c492b0cc0d0429bbafc78d2eed463c235414c361767431a88f135")
    failures.push("Gimli keystream vector");
  return failures;
}
