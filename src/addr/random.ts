/**
 * Random addresses for operators setting up a mesh, from the OS CSPRNG.
 *
 * IPv6: fd00::/16 like smolmesh2 (a unique-local address). IPv4: the
 * original draws all four bytes at random, which can land on a public or
 * multicast address that then shadows real hosts; we draw inside
 * 10.0.0.0/8 and avoid host bytes 0 and 255, which is what an operator
 * numbering a private mesh wants.
 */

export function randomIpv6(): Uint8Array {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = 0xfd;
  b[1] = 0x00;
  return b;
}

export function randomIpv4(): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = 10;
  const r = new Uint8Array(3);
  do crypto.getRandomValues(r);
  while (r[2] === 0 || r[2] === 255);
  b.set(r, 1);
  return b;
}
