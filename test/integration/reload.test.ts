/**
 * Config reload on a running relay (`smolmesh reload`, and SIGHUP), on
 * loopback, while two peers exchange numbered data packets through it:
 *
 *   peer X ──┐                         ┌── peer Y        (port 1, key k1: kept, k1b added)
 *            ▼                         ▼
 *                 relay (reloaded)
 *            ▲                         ▲
 *   peer Z ──┘ (port 2: removed)       └── new peers (port 3: added; port 1 with k1b)
 *
 * The data between X and Y loses nothing; Z's link closes with the close
 * frame's reason; the new port and the new key work; a broken config is
 * refused with check's message and the relay keeps running on the old one.
 * (A TUN node's `dns` reloaded: dns.test.ts.)
 */
import { beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run } from "../helpers/binary.ts";
import { ipv6Datagram, meshIpv6, meshPacket } from "../helpers/legacy-peer.ts";
import { ModernPeer } from "../helpers/modern-peer.ts";
import { freePort, NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const te = new TextEncoder();
let relay: NodeProc;
let p1 = 0;
let p2 = 0;
let p3 = 0;

/** The relay's config; once it runs, with the control socket NodeProc gave it. */
const config = (transports: object[], extra: object = {}) => ({
  node_name: "reload-relay",
  ...(relay ? { control_socket: relay.controlSocket } : {}),
  transports,
  ...extra,
});

const reload = () =>
  run([process.execPath, join(ROOT, "src/cli/main.ts"), "reload", "--socket", relay.controlSocket], {
    env: { NO_COLOR: "1" },
  });

nodeSuite("loopback", "config reload", () => {
  beforeAll(async () => {
    [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    relay = new NodeProc(
      "reload",
      config([
        { type: "tcp_listen", port: p1, keys: ["k1"] },
        { type: "tcp_listen", port: p2, keys: ["k2"] },
      ]),
    );
    await relay.waitLog(/listening on \[::\]:\d+ .*\n.*listening on/);
  });

  test("transports added, removed and re-keyed while data flows: nothing lost, the rest untouched", async () => {
    const x = await ModernPeer.connect(p1, "k1", "peer-x");
    const y = await ModernPeer.connect(p1, "k1", "peer-y");
    const z = await ModernPeer.connect(p2, "k2", "peer-z");
    y.announce("peer-y");
    await x.until(() => x.received(0, "peer-y").length > 0, 10_000, "peer-y's flood at peer-x");
    const linksBefore = (await relay.status()).links.map((l) => `${l.id}:${l.peerName}`).sort();

    let sent = 0;
    const timer = setInterval(() => {
      x.send(meshPacket(3, ipv6Datagram(meshIpv6("peer-x"), meshIpv6("peer-y"), te.encode(`n${sent++}`))));
    }, 10);
    await y.until(() => y.received(3).length >= 20, 10_000, "data flowing before the reload");

    writeFileSync(
      relay.configPath,
      JSON.stringify(
        config(
          [
            { type: "tcp_listen", port: p1, keys: ["k1", "k1b"] },
            { type: "tcp_listen", port: p3, keys: ["k3"] },
          ],
          { log_level: "debug" },
        ),
      ),
    );
    const r = await reload();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed listen on [::]:${p2}: modern, 1 key`);
    expect(r.stdout).toContain(`added listen on [::]:${p3}: modern, 1 key`);
    expect(r.stdout).toContain(
      `listen on [::]:${p1}: modern, 2 keys: new keys or settings apply from its next handshake`,
    );
    expect(r.stdout).toContain("log_level debug");

    // the removed port's link is told why, and the port no longer answers
    await z.until(() => z.error !== undefined || z.closed, 5000, "peer-z's link to close");
    expect(z.session.peerCloseReason).toBe("transport removed");
    await expect(ModernPeer.connect(p2, "k2", "too-late")).rejects.toThrow();
    // the added port and the added key work
    const n3 = await ModernPeer.connect(p3, "k3", "new-port");
    const nk = await ModernPeer.connect(p1, "k1b", "new-key");
    await relay.waitLog(/link \d+ up: from .*\(node new-key\)/);

    // X and Y kept their links, and every packet sent crossed
    const mark = sent;
    await y.until(() => y.received(3).length >= mark + 20, 10_000, "more data after the reload");
    clearInterval(timer);
    await y.until(() => y.received(3).length >= sent, 5000, "the last data packets");
    const got = y.received(3).map((p) => new TextDecoder().decode(p.subarray(9 + 40)));
    expect(got.length).toBe(sent);
    expect(new Set(got).size).toBe(sent);
    const linksAfter = (await relay.status()).links.map((l) => `${l.id}:${l.peerName}`);
    for (const l of linksBefore.filter((l) => !l.endsWith("peer-z"))) expect(linksAfter).toContain(l);
    expect(relay.log).toMatch(/DEBUG/); // log_level applied at once
    for (const p of [x, y, z, n3, nk]) p.close();
  }, 40_000);

  test("a broken config is refused with check's message; the relay runs on", async () => {
    writeFileSync(relay.configPath, JSON.stringify(config([{ type: "tcp_listen", port: "p1", keys: ["k1"] }])));
    const r = await reload();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${relay.configPath}: transports[0].port: expected a port number`);
    await relay.waitLog(/reload refused, still running on the old config/);
    const s = await relay.status();
    expect(s.listeners.length).toBe(2);
    const again = await ModernPeer.connect(p3, "k3", "after-broken");
    again.close();
  });

  test("SIGHUP reloads too, and names what only a restart changes", async () => {
    writeFileSync(
      relay.configPath,
      JSON.stringify(
        config([{ type: "tcp_listen", port: p1, keys: ["k1"] }], { node_name: "renamed", mtu: 1500, dns: false }),
      ),
    );
    relay.proc.kill("SIGHUP");
    await relay.waitLog(/reload: node_name changed: takes effect at restart/);
    await relay.waitLog(/reload: mtu changed: takes effect at restart/);
    // dns applies at once (a relay has no responder: test/integration/dns.test.ts reloads a TUN node's)
    await relay.waitLog(/reload: dns: applies to TUN nodes only/);
    await relay.waitLog(new RegExp(`reload: removed listen on \\[::\\]:${p3}`));
    await waitFor(async () => (await relay.status()).listeners.length === 1, 5000, "one listener left");
    expect((await relay.status()).node.name).toBe("reload-relay");
  });
});
