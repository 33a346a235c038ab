/**
 * Modern links between relay nodes on loopback, and one port that serves
 * modern and legacy connectors, against peers that misbehave.
 *
 *   relay-b ──tcp_connect──┐
 *                          ▼
 *   relay-c ──legacy_tcp_connect (gimli)──▶ relay-a  tcp_listen, legacy: true
 *                          ▲
 *   test peers ────────────┘  modern (wrong key, tampered frame, close frame,
 *                             truncated, replayed, wrong version),
 *                             legacy SPECK
 *
 * Each bad peer closes only its own link, with a clear log line on A; B's
 * and C's links stay up throughout.
 */
import { beforeAll, expect, test } from "bun:test";
import { LegacyPeer, meshPacket } from "../helpers/legacy-peer.ts";
import { ModernPeer, modernHello } from "../helpers/modern-peer.ts";
import { freePort, NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

let A: NodeProc;
let B: NodeProc;
let C: NodeProc;
let port = 0;
/** A replayed modern hello that will never be confirmed, and when it was sent. */
let replayed: Promise<number>;

const upLinks = async (node: NodeProc) => (await node.status()).links.filter((l) => l.state === "up");

nodeSuite("loopback", "modern links and one port for both protocols", () => {
  beforeAll(async () => {
    port = await freePort();
    A = new NodeProc("A", {
      node_name: "relay-a",
      transports: [{ type: "tcp_listen", port, keys: ["key-ab", "key-peer"], legacy: true }],
    });
    await A.waitLog(/listening on .* \(modern and legacy\)/);
    B = new NodeProc("B", {
      node_name: "relay-b",
      transports: [{ type: "tcp_connect", host: "127.0.0.1", port, key: "key-ab" }],
    });
    C = new NodeProc("C", {
      node_name: "relay-c",
      transports: [{ type: "legacy_tcp_connect", host: "localhost", port, key: "key-peer", cipher: "gimli" }],
    });
    await B.waitLog(/link \d+ up: to 127\.0\.0\.1:\d+ \(node relay-a\), modern/);
    await C.waitLog(/link \d+ up: to .*, gimli/);
    // started early: the 10 s handshake deadline runs while the other tests do
    replayed = LegacyPeer.rawUntilClosed(port, modernHello("key-peer"), 20_000);
  }, 30_000);

  test("A shows a modern link from relay-b (by name, with key age) and a Gimli link", async () => {
    await A.waitLog(/link \d+ up: from 127\.0\.0\.1:\d+ \(node relay-b\), modern/);
    await A.waitLog(/link \d+ up: from .*, gimli/);
    const links = await upLinks(A);
    const modern = links.find((l) => l.protocol === "modern");
    expect(modern?.peerName).toBe("relay-b");
    expect(modern?.keys).toMatchObject({ txRekeys: 0, rxRekeys: 0 });
    expect(links.map((l) => l.protocol).sort()).toEqual(["gimli", "modern"]);
  });

  test("the node seals modern frames in place with the system's OpenSSL, and says so in status", async () => {
    expect((await A.status()).node.aesGcm).toMatch(/^OpenSSL 3\.\d+\.\d+.* \(libcrypto\.so\.3\)$/);
  });

  test("floods cross from the legacy side to the modern side and back", async () => {
    await B.waitLog(/route added: fd00:[0-9a-f:]+ \(relay-c\) via link/);
    await C.waitLog(/route added: fd00:[0-9a-f:]+ \(relay-b\) via link/);
  });

  test("a legacy SPECK connector on the same port is answered and learns the mesh", async () => {
    const p = await LegacyPeer.connect(port, "key-peer");
    await p.until(() => p.received(0, "relay-b").length > 0, 12_000, "relay-b's flood at the SPECK peer");
    p.close();
  });

  test("a modern test peer links, is named in A's status, and its flood reaches B", async () => {
    const p = await ModernPeer.connect(port, "key-peer", "modern-peer");
    await B.waitLog(/route added: fd00:[0-9a-f:]+ \(modern-peer\) via link/);
    expect((await upLinks(A)).some((l) => l.peerName === "modern-peer")).toBe(true);
    await p.until(() => p.received(0, "relay-c").length > 0, 12_000, "relay-c's flood at the modern peer");
    p.close();
  });

  test("a wrong key: refused on message 1 with a log line naming the peer", async () => {
    const before = A.log.length;
    await expect(ModernPeer.connect(port, "not-a-key", "intruder")).rejects.toThrow(/closed the connection/);
    await waitFor(
      () => /link from 127\.0\.0\.1:\d+ refused: wrong key/.test(A.log.slice(before)),
      5000,
      "A to log the wrong key",
    );
  });

  test("a tampered frame closes only that link, as a bad MAC", async () => {
    const p = await ModernPeer.connect(port, "key-peer", "tamperer");
    await A.waitLog(/link \d+ up: from .*\(node tamperer\)/);
    p.sendTampered(meshPacket(0, new TextEncoder().encode("tamperer")));
    await A.waitLog(/link \d+ down \(127\.0\.0\.1:\d+\): bad MAC on a frame/);
    await p.until(() => p.closed, 5000, "A to close the tampered link");
    expect((await upLinks(A)).map((l) => l.protocol).sort()).toEqual(["gimli", "modern"]);
  });

  test("a close frame's reason is logged", async () => {
    const p = await ModernPeer.connect(port, "key-peer", "leaver");
    await A.waitLog(/link \d+ up: from .*\(node leaver\)/);
    p.goodbye("going away for a test");
    await A.waitLog(/link \d+ down .*: the peer closed the link: "going away for a test"/);
    p.close();
  });

  test("a truncated handshake (half of message 1, then EOF) is logged and dropped", async () => {
    const hello = modernHello("key-peer");
    const before = A.log.length;
    // the node holds the half message until the connection ends; the raw peer ends it after 1 s
    await LegacyPeer.rawUntilClosed(port, hello.subarray(0, 700), 1000);
    await waitFor(
      () => /refused: the peer closed the connection during the handshake/.test(A.log.slice(before)),
      5000,
      "A to log the truncated handshake",
    );
  });

  test("another version of the magic is closed at once, with nothing sent", async () => {
    const before = A.log.length;
    await LegacyPeer.rawUntilClosed(port, Uint8Array.of(0x73, 0x6d, 0x6c, 0x02, 0, 0), 5000);
    await waitFor(
      () => /refused: the peer speaks another version/.test(A.log.slice(before)),
      5000,
      "A to log the version",
    );
  });

  test("a replayed message 1 is answered but never counted up; the 10 s deadline ends it", async () => {
    const ms = await replayed;
    expect(ms).toBeGreaterThan(9_000);
    expect(ms).toBeLessThan(19_000);
    await A.waitLog(/link from 127\.0\.0\.1:\d+ refused: handshake not completed within 10 s/, 5000);
    expect(A.log).not.toMatch(/\(node replayed\)/);
  }, 25_000);

  test("B and C stayed linked through all of it", async () => {
    const links = await upLinks(A);
    expect(links.map((l) => l.peerName ?? l.protocol).sort()).toEqual(["gimli", "relay-b"]);
    expect(B.log).not.toMatch(/link \d+ down/);
  });

  test("A stopping tells B why, in a close frame", async () => {
    await A.stop("SIGTERM");
    await B.waitLog(/link \d+ down .*: the peer closed the link: "shutting down"/);
  });
});
