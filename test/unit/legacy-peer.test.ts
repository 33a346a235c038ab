/** The tests' independent protocol peer is itself checked against the original's vectors. */
import { expect, test } from "bun:test";
import { Keystream, meshIpv6, multiHash } from "../helpers/legacy-peer.ts";
import { hex, loadVectors, toHex } from "../helpers/vectors.ts";

test("independent peer: hashes, keystream and name addresses match the vectors", () => {
  const ms = loadVectors<{ vectors: { x_hex: string; y_hex: string; z_hex: string; multispeck3_xyz: string }[] }>(
    "multispeck.json",
  );
  for (const v of ms.vectors)
    expect(toHex(multiHash(hex(v.x_hex), hex(v.y_hex), hex(v.z_hex)))).toBe(v.multispeck3_xyz);
  const ks = loadVectors<{ vectors: { key_hex: string; keystream_1000_hex: string }[] }>("keystream_speck.json");
  for (const v of ks.vectors) {
    const buf = new Uint8Array(1000);
    new Keystream(hex(v.key_hex)).apply(buf);
    expect(toHex(buf)).toBe(v.keystream_1000_hex);
  }
  const names = loadVectors<{ vectors: { name: string; ipv6_bytes_hex: string }[] }>("name_to_ipv6.json");
  for (const v of names.vectors.slice(0, 40)) expect(toHex(meshIpv6(v.name))).toBe(v.ipv6_bytes_hex);
});
