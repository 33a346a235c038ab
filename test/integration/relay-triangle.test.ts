/**
 * Failover in a triangle of relays. B's links to C and to A run through
 * test proxies so the test can cut one; A links to C directly.
 *
 *              peer1
 *                │
 *                B
 *     proxyBA  ╱   ╲  proxyBC
 *             A ─── C
 *                   │
 *                 peer2
 *
 * peer1 streams data to peer2 every 5 ms. B-A is made the slower path (the
 * proxy holds data 5 ms), so B's route to peer2 goes direct to C (the first
 * arrival of peer2's flood) with A as the backup; cutting B-C must move the
 * stream to B-A-C. peer2 floods its name once, and the cut proxy refuses
 * B's reconnection, so nothing but the backup route can carry the stream
 * afterwards: the 10 s deadline is a fail-safe, and the time it took is
 * printed.
 */
import { afterAll, expect, test } from "bun:test";
import { ipv6Datagram, LegacyPeer, meshIpv6, meshPacket } from "../helpers/legacy-peer.ts";
import { freePort, NodeProc } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";
import { TcpProxy } from "../helpers/tcp-proxy.ts";

const proxies: TcpProxy[] = [];

nodeSuite("loopback", "a triangle of relays", () => {
  afterAll(() => {
    for (const p of proxies) p.cut();
  });

  test("cutting the preferred link moves traffic to the backup path", async () => {
    const [pA, pC, pB] = [await freePort(), await freePort(), await freePort()];
    const C = new NodeProc("C", {
      node_name: "tri-c",
      transports: [{ type: "legacy_tcp_listen", port: pC, keys: ["k"] }],
    });
    await C.waitLog(/listening on/);
    const A = new NodeProc("A", {
      node_name: "tri-a",
      transports: [
        { type: "legacy_tcp_listen", port: pA, keys: ["k"] },
        { type: "legacy_tcp_connect", host: "127.0.0.1", port: pC, key: "k" },
      ],
    });
    await A.waitLog(/link \d+ up: to 127\.0\.0\.1/);
    // B-A is the slower path (5 ms each way), so B's route to C's side is the direct link
    const proxyBA = new TcpProxy(pA, 5);
    const proxyBC = new TcpProxy(pC);
    proxies.push(proxyBA, proxyBC);
    const B = new NodeProc("B", {
      node_name: "tri-b",
      transports: [
        { type: "legacy_tcp_connect", host: "127.0.0.1", port: proxyBA.port, key: "k" },
        { type: "legacy_tcp_connect", host: "127.0.0.1", port: proxyBC.port, key: "k" },
        { type: "legacy_tcp_listen", port: pB, keys: ["k"] },
      ],
    });
    await B.waitLog(/link 2 up/);

    const peer1 = await LegacyPeer.connect(pB, "k");
    const peer2 = await LegacyPeer.connect(pC, "k");
    peer2.announce("tri-peer2");
    await peer1.until(() => peer1.received(0, "tri-peer2").length > 0, 5000, "peer2's flood at peer1");
    await B.waitLog(/route added: \S+ \(tri-peer2\) via link/);

    const [src, dst] = [meshIpv6("tri-peer1"), meshIpv6("tri-peer2")];
    let seq = 0;
    const sentAt = new Map<number, number>();
    const timer = setInterval(() => {
      const body = new Uint8Array(64);
      new DataView(body.buffer).setUint32(0, ++seq);
      sentAt.set(seq, performance.now());
      peer1.send(meshPacket(3, ipv6Datagram(src, dst, body)));
    }, 5);
    const seqOf = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset + 9 + 40).getUint32(0);
    try {
      await peer2.until(() => peer2.received(3).length >= 40, 5000, "the stream to flow");
      const viaBC = proxyBC.bytes;
      await peer2.until(() => peer2.received(3).length >= 80, 5000, "more of the stream");
      expect(proxyBC.bytes - viaBC).toBeGreaterThan(40 * 100); // the stream really runs over B-C

      const cutAt = performance.now();
      const lastSeqBefore = seq;
      const viaBA = proxyBA.bytes;
      proxyBC.cut();
      await peer2.until(
        () => peer2.received(3).some((p) => seqOf(p) > lastSeqBefore),
        10_000,
        "a packet sent after the cut to arrive",
      );
      const first = peer2.received(3).find((p) => seqOf(p) > lastSeqBefore) as Uint8Array;
      const arrivedAfter = performance.now() - cutAt;
      const lost = [...Array(seq).keys()]
        .map((i) => i + 1)
        .filter((s) => s <= seqOf(first) && !peer2.received(3).some((p) => seqOf(p) === s));
      console.log(
        `failover: first packet over B-A-C ${arrivedAfter.toFixed(0)} ms after the cut (sent ${(
          (sentAt.get(seqOf(first)) ?? 0) - cutAt
        ).toFixed(0)} ms after it); ${lost.length} packets lost`,
      );
      await B.waitLog(/link \d+ down/);
      // the stream goes on, through B-A
      const after = () => peer2.received(3).filter((p) => seqOf(p) > lastSeqBefore).length;
      await peer2.until(() => after() >= 40, 10_000, "40 packets sent after the cut");
      expect(proxyBA.bytes - viaBA).toBeGreaterThan(40 * 100);
    } finally {
      clearInterval(timer);
      peer1.close();
      peer2.close();
    }
  }, 60_000);
});
