/**
 * `bun dns-garbage.ts ADDRESS PORT`: sends a DNS responder malformed
 * datagrams, one kind at a time, each followed by a good query, and prints
 * JSON: for each kind, the rcode of the reply to the bad datagram (null:
 * none came) and whether the good query after it was answered. Run inside
 * a test's namespace (ip netns exec). Replies are matched by query id.
 */
import * as dnsPacket from "dns-packet";

const [address, port] = process.argv.slice(2);
if (!address || !port) {
  console.error("usage: dns-garbage.ts ADDRESS PORT");
  process.exit(2);
}

const good = (id: number) =>
  dnsPacket.encode({ id, type: "query", questions: [{ name: "nobody.mesh", type: "AAAA", class: "IN" }] });

function withCounts(id: number, counts: number): Uint8Array {
  const q = new Uint8Array(good(id));
  const dv = new DataView(q.buffer, q.byteOffset);
  for (const at of [4, 6, 8, 10]) dv.setUint16(at, counts);
  return q;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** Bad datagrams by kind; ids 0x100+ so their replies can be told apart. */
const kinds: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["truncated header", good(0x101).subarray(0, 7)],
  ["header only, one question promised", good(0x102).subarray(0, 12)],
  ["huge counts", withCounts(0x103, 0xffff)],
  ["compression loop", new Uint8Array([...good(0x104).subarray(0, 12), 0xc0, 12, 0, 28, 0, 1])],
  ["random bytes", random(300)],
  ["4 KiB of random bytes", random(4096)],
  ["a response", dnsPacket.encode({ id: 0x107, type: "response", questions: [{ name: "x.mesh", type: "A" }] })],
];

const replies = new Map<number, string>();
const sock = await Bun.udpSocket({
  hostname: address.includes(":") ? "::" : "0.0.0.0",
  socket: {
    data(_s, buf) {
      const b = new Uint8Array(buf);
      if (b.length < 4) return;
      const id = (b[0] as number) * 256 + (b[1] as number);
      replies.set(
        id,
        ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"][(b[3] as number) & 15] ?? "?",
      );
    },
  },
});

async function reply(id: number, ms: number): Promise<string | null> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const r = replies.get(id);
    if (r !== undefined) return r;
    await Bun.sleep(5);
  }
  return null;
}

const out: { kind: string; reply: string | null; nextAnswered: boolean }[] = [];
let nextId = 0x200;
for (const [kind, bytes] of kinds) {
  sock.send(bytes, Number(port), address);
  const id = nextId++;
  sock.send(good(id), Number(port), address);
  // the good query is answered after the bad datagram (one socket, in order): wait for it, then read the bad one's
  const nextAnswered = (await reply(id, 2000)) !== null;
  const badId = bytes.length >= 2 ? (bytes[0] as number) * 256 + (bytes[1] as number) : -1;
  out.push({ kind, reply: replies.get(badId) ?? null, nextAnswered });
}
sock.close();
console.log(JSON.stringify(out));
