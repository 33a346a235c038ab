/**
 * Per-component figures with no I/O: frame seal/open MB/s in place
 * (1400-byte and MTU-sized frames), duplicate filters, route lookups, and
 * packets per second through the router state machine (data forwarding,
 * packets from TUN, duplicate floods), and the claim filter's check. More crypto paths: npm run bench:crypto.
 *
 *   npm run bench:micro      (bun test/bench/micro.ts [--json])
 */
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { FRAME_OVERHEAD, gimli, sharedHeap, speck } from "../../src/crypto/index.ts";
import { addrKey, keyOf } from "../../src/mesh/addr-key.ts";
import { ClaimFilter } from "../../src/mesh/claim-filter.ts";
import { DataFilter, FloodFilter } from "../../src/mesh/dup-filter.ts";
import { buildPacket, CMD_DATA, CMD_NAME } from "../../src/mesh/packet.ts";
import { Router, type RouterOutput } from "../../src/mesh/router.ts";
import { RoutingTable } from "../../src/mesh/routing-table.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";

const json = process.argv.includes("--json");
const T = 1_800_000_000_000;

function rate(name: string, n: number, fn: (i: number) => void): [string, number] {
  for (let i = 0; i < Math.min(n, 100_000); i++) fn(i); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const s = (performance.now() - t0) / 1000;
  return [name, n / s];
}

const hash = await loadPacketHash();
const rows: [string, number][] = [];

// frames sealed and opened in place in the wasm heap (the data path), as MB/s of payload
for (const [suite, size] of [
  [speck, 1400],
  [speck, 65000],
  [gimli, 1400],
] as const) {
  const heap = sharedHeap();
  const key = crypto.getRandomValues(new Uint8Array(16));
  const tx = suite.direction(key, key);
  const rx = suite.direction(key, key);
  rx.prefetch();
  const f = heap.alloc(size + FRAME_OVERHEAD);
  const n = Math.max(200, Math.floor(200_000_000 / size / 4));
  const [, sealRate] = rate(`${suite.name} seal`, n, () => tx.sealAt(f, size));
  const [, bothRate] = rate(`${suite.name} seal+open`, n, () => {
    tx.sealAt(f, size);
    rx.xorAt(f, size + FRAME_OVERHEAD);
    rx.verifyAt(f + 2, size);
  });
  rows.push([`${suite.name} seal, ${size}-byte frames (MB/s)`, (sealRate * size) / 1e6]);
  rows.push([`${suite.name} open, ${size}-byte frames (MB/s)`, size / (1 / bothRate - 1 / sealRate) / 1e6]);
  tx.dispose();
  rx.dispose();
  heap.release(f, size + FRAME_OVERHEAD);
}

// duplicate filters
const pkt = new Uint8Array(1409);
crypto.getRandomValues(pkt);
rows.push(rate("packet hash (XXH3) of a 1409-byte packet", 1_000_000, () => hash(pkt, 0, pkt.length)));
const df = new DataFilter(8192);
rows.push(rate("data filter check+add (8192 ring)", 5_000_000, (i) => df.checkAndAdd(i, 1)));
const ff = new FloodFilter(180_000, 65536);
rows.push(rate("flood filter add (65536 cap)", 2_000_000, (i) => ff.add(i, T, 1)));
rows.push(rate("flood filter lookup", 5_000_000, (i) => ff.find(i & 65535)));

// route lookups: 1000 destinations
const table = new RoutingTable();
const addrs = Array.from({ length: 1000 }, (_, i) => nameToIpv6(`node${i}`));
addrs.forEach((a, i) => {
  table.learn(keyOf(a), a, "name", `node${i}`, T, i % 4, T, a, 0, a.length);
});
const dst = new Uint8Array(40);
rows.push(
  rate("route lookup: IPv6 header -> next hop (1000 routes)", 5_000_000, (i) => {
    dst.set(addrs[i % 1000] as Uint8Array, 24);
    table.nextHop(addrKey(dst, 24, 16), -1);
  }),
);

// the router, no I/O
const sink: RouterOutput = {
  send: () => true,
  deliver: () => {},
  routeAdded: () => {},
  routeChanged: () => {},
  routeRemoved: () => {},
};
const router = new Router(
  { name: "bench", ipv6: nameToIpv6("bench"), ipv4: [], nameToIpv6, hash, random: () => 0.5, hasTun: true },
  sink,
);
for (let l = 0; l < 4; l++) router.linkUp(l, T);
for (let i = 0; i < 1000; i++) {
  const f = buildPacket(T, CMD_NAME, new TextEncoder().encode(`node${i}`));
  router.receive(i % 4, f, 0, f.length, T);
}
// data packets to 1000 destinations, each unique (the filter must not drop them)
const data = addrs.map((a) => {
  const ip = new Uint8Array(1400);
  ip[0] = 0x60;
  ip.set(a, 24);
  return buildPacket(T, CMD_DATA, ip);
});
rows.push(
  rate("router: data packets forwarded (1400 B)", 500_000, (i) => {
    const p = data[i % 1000] as Uint8Array;
    new DataView(p.buffer).setUint32(9 + 40, i); // unique payload
    router.receive((i + 1) % 4, p, 0, p.length, T);
  }),
);
rows.push(
  rate("router: packets from TUN routed (1400 B)", 500_000, (i) => {
    const p = data[i % 1000] as Uint8Array;
    new DataView(p.buffer).setUint32(9 + 40, i);
    router.fromLocal(p, 9, p.length - 9, T);
  }),
);
// the claim filter, run once per new flood (with the key the router has already): default ranges, 8 underlay addresses
const claims = new ClaimFilter();
for (let i = 0; i < 8; i++) claims.addUnderlay(Uint8Array.from([10, 75, 0, i]));
const outside6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const probes = [nameToIpv6("node1"), Uint8Array.from([10, 99, 1, 2]), Uint8Array.from([1, 1, 1, 1]), outside6];
const probeKeys = probes.map(keyOf);
rows.push(
  rate("claim filter: check a claimed address (IPv4/IPv6 mix)", 5_000_000, (i) => {
    const p = probes[i & 3] as Uint8Array;
    claims.check(p, 0, p.length as 4 | 16, probeKeys[i & 3]);
  }),
);
const floods = Array.from({ length: 1000 }, (_, i) =>
  buildPacket(T + 1, CMD_NAME, new TextEncoder().encode(`node${i}`)),
);
rows.push(
  rate("router: duplicate floods (the common control packet)", 1_000_000, (i) => {
    const f = floods[i % 1000] as Uint8Array;
    router.receive(i % 4, f, 0, f.length, T);
  }),
);

if (json) console.log(JSON.stringify(Object.fromEntries(rows)));
else {
  const w = Math.max(...rows.map(([n]) => n.length));
  for (const [n, r] of rows) {
    console.log(
      `${n.padEnd(w)}  ${n.endsWith("(MB/s)") ? `${r.toFixed(0).padStart(7)} MB/s` : `${(r / 1e6).toFixed(2).padStart(7)} M/s`}`,
    );
  }
}
