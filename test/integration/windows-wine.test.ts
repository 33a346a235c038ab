/**
 * The Windows build (bun-windows-x64), run under Wine on this Linux machine.
 *
 *   peer-l ─── lin (Linux relay) ──── win (Windows relay, Wine) ─── peer-w
 *                         loopback TCP, legacy_tcp
 *
 * The CLI prints what the Linux build prints; a Windows relay (Winsock
 * sockets and the WSAPoll reactor backend) links modern with a Linux node,
 * sealing and opening its frames with Windows CNG (bcrypt.dll, here Wine's,
 * against OpenSSL on the Linux side), and forwards floods and data both
 * ways; CNG's engine passes the same checks OpenSSL's does on Linux, run in
 * a small Windows program (test/helpers/windows-ffi-check.ts); and a
 * Windows TUN node carries real
 * IP packets through Wintun, here the test double from native/wine/, which
 * hands them to and from this test over UDP:
 *
 *   test (as the Windows IP stack) ─UDP─ wintun.dll double ─ win-tun (Wine)
 *        ─── lin (Linux relay) ─── peer-l
 *
 * The IP Helper calls (addresses, MTU, routes) go to a second double, which
 * reads each row through the Windows SDK's structures and reports it here.
 * The TUN node's DNS responder (Winsock UDP in the same reactor) answers
 * this test on loopback, since Wine's sockets cannot bind the adapter's
 * addresses, which exist only in the double.
 * What Wine cannot show (the real Wintun driver, Windows' own IP stack) is
 * listed in the README.
 */
import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import * as dnsPacket from "dns-packet";
import ipaddr from "ipaddr.js";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import type { StatusSnapshot } from "../../src/node/status.ts";
import { ROOT, run } from "../helpers/binary.ts";
import { TEST_CASE_16 } from "../helpers/gcm-checks.ts";
import { ipv4Datagram, ipv6Datagram, LegacyPeer, meshIpv6, meshPacket } from "../helpers/legacy-peer.ts";
import { freePort, NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";
import { loadVectors } from "../helpers/vectors.ts";
import { WINE, type WineEnv, windowsProgram, wineEnv } from "../helpers/wine.ts";

/** What the Windows node's modern links seal with (platform/windows/bcrypt-gcm.ts). */
const CNG = "Windows CNG (bcrypt.dll)";
const names = loadVectors<{ vectors: { name: string; name_len_bytes: number; ipv6: string }[] }>("name_to_ipv6.json");
const te = new TextEncoder();
/** A node's address as Windows prints it (RFC 5952: no leading zeros in a group). */
const rfc5952 = (name: string) => ipaddr.IPv6.parse(nameToIpv6Text(name)).toRFC5952String();
let w: WineEnv;

nodeSuite("wine", "Windows build under Wine", () => {
  beforeAll(async () => {
    w = await wineEnv();
  }, 180_000);

  test("name-to-ipv6, version and help print what the Linux build prints", async () => {
    const pick = names.vectors.filter(
      (v, i) => v.name_len_bytes === 0 || (/[^\x00-\x7f]/.test(v.name) && v.name_len_bytes < 40) || i % 100 === 0,
    );
    expect(pick.length).toBeGreaterThan(5);
    for (const v of pick) {
      if (v.name_len_bytes > 2000) continue; // command lines under Wine have a length limit
      const r = await run([WINE, w.exe, "name-to-ipv6", "--", v.name], { env: w.env });
      expect(r.stdout.replace(/\r\n/g, "\n")).toBe(`${v.ipv6}\n`);
    }
    const linux = [process.execPath, join(ROOT, "src/cli/main.ts")];
    for (const args of [["--version"], ["help"]]) {
      const win = await run([WINE, w.exe, ...args], { env: { ...w.env, NO_COLOR: "1" } });
      const lin = await run([...linux, ...args], { env: { NO_COLOR: "1" } });
      expect(win.stdout.replace(/\r\n/g, "\n")).toBe(lin.stdout);
    }
    const bad = await run([WINE, w.exe, "frobnicate"], { env: w.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown command frobnicate");
  }, 120_000);

  test("Windows CNG's AES-256-GCM passes the in-place engine checks, and Winsock gets a SOCKET given as a number whole", async () => {
    const exe = await windowsProgram("test/helpers/windows-ffi-check.ts");
    const r = await run([WINE, exe], { env: w.env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toEqual({
      engine: CNG,
      // the install check node uses: byte for byte node:crypto's output, wrong tags and bytes refused
      disagreement: null,
      // McGrew and Viega's test case 16, ciphertext then tag
      vector16: TEST_CASE_16.sealedHex,
      vector16Opens: true,
      // every flipped bit refused, and no plaintext left behind by a refused frame
      flippedBits: { tried: 544, opened: 0, leaked: 0 },
      afterFree: "Windows CNG AES-256-GCM: context used after free",
      // CNG's result word and mode info stay ours: nothing lands in memory the collector freed
      strayWrites: 0,
      failedOpens: 0,
      // frames at odd offsets of the WebAssembly heap while it grows, as node:crypto seals them
      heapFrames: { frames: 200, differ: 0, grew: true },
      // SO_TYPE of a stream socket through its handle as a JS number; the
      // handle plus 2^32 is WSAENOTSOCK, so all 64 bits reach Winsock
      socketAsNumber: 1,
      socketPlus2to32: -10038,
      afterClose: -10038,
    });
  }, 120_000);

  test("a Windows relay links with a Linux node (modern link) and forwards floods and data both ways", async () => {
    const [pw, pl] = [await freePort(), await freePort()];
    const win = new NodeProc(
      "win",
      {
        node_name: "wine-relay",
        control_socket: undefined, // Windows' default: the named pipe \\.\pipe\smolmesh-wine-relay
        // modern and legacy on one port: the Linux node links modern, the test peer legacy
        transports: [{ type: "tcp_listen", port: pw, keys: ["wk", "pk"], bind: "0.0.0.0", legacy: true }],
      },
      [],
      { command: [WINE, w.exe], env: w.env, windowsPaths: true },
    );
    await win.waitLog(/listening on 0\.0\.0\.0:/, 60_000);
    const lin = new NodeProc("lin", {
      node_name: "linux-relay",
      transports: [
        { type: "tcp_connect", host: "127.0.0.1", port: pw, key: "wk" },
        { type: "legacy_tcp_listen", port: pl, keys: ["pk"] },
      ],
    });
    await lin.waitLog(/link \d+ up: to 127\.0\.0\.1:\d+ \(node wine-relay\), modern/, 20_000);
    await lin.waitLog(/route added: \S+ \(wine-relay\)/, 20_000);
    await win.waitLog(/route added: \S+ \(linux-relay\)/, 20_000);
    const peerL = await LegacyPeer.connect(pl, "pk");
    const peerW = await LegacyPeer.connect(pw, "pk", "127.0.0.1", 20_000);
    peerL.announce("peer-l");
    peerW.announce("peer-w");
    await peerW.until(() => peerW.received(0, "peer-l").length > 0, 10_000, "peer-l's flood at peer-w (through Wine)");
    await peerL.until(() => peerL.received(0, "peer-w").length > 0, 10_000, "peer-w's flood at peer-l");
    await peerL.until(() => peerL.received(0, "wine-relay").length > 0, 15_000, "the Windows node's own flood");
    const there = meshPacket(3, ipv6Datagram(meshIpv6("peer-l"), meshIpv6("peer-w"), te.encode("linux -> windows")));
    const back = meshPacket(3, ipv6Datagram(meshIpv6("peer-w"), meshIpv6("peer-l"), te.encode("windows -> linux")));
    peerL.send(there);
    peerW.send(back);
    await peerW.until(() => peerW.received(3).length > 0, 10_000, "data at peer-w");
    await peerL.until(() => peerL.received(3).length > 0, 10_000, "data at peer-l");
    expect(Buffer.from(peerW.received(3)[0] as Uint8Array).equals(Buffer.from(there))).toBe(true);
    expect(Buffer.from(peerL.received(3)[0] as Uint8Array).equals(Buffer.from(back))).toBe(true);
    expect(win.log).toContain(`node wine-relay (${nameToIpv6Text("wine-relay")}) starting as a relay on windows`);

    // frames of every size class cross the modern link both ways, CNG sealing
    // on the Windows side and opening what OpenSSL sealed on the Linux side
    const sizes = Array.from({ length: 60 }, (_, i) => 1 + ((i * 157) % 1300));
    const datagram = (from: string, to: string, i: number, n: number) =>
      meshPacket(3, ipv6Datagram(meshIpv6(from), meshIpv6(to), new Uint8Array(n).fill(i)));
    const toW = sizes.map((n, i) => datagram("peer-l", "peer-w", i, n));
    const toL = sizes.map((n, i) => datagram("peer-w", "peer-l", i, n));
    for (const p of toW) peerL.send(p);
    for (const p of toL) peerW.send(p);
    const arrived = (peer: LegacyPeer, sent: Uint8Array[]) => {
      const got = new Set(peer.received(3).map((p) => Buffer.from(p).toString("hex")));
      return sent.filter((p) => got.has(Buffer.from(p).toString("hex"))).length;
    };
    await peerW.until(() => arrived(peerW, toW) === toW.length, 15_000, "60 packets from Linux at peer-w");
    await peerL.until(() => arrived(peerL, toL) === toL.length, 15_000, "60 packets from Windows at peer-l");
    expect(win.log).not.toContain("not using");

    // smolmesh status reaches the Windows node through its named pipe, found
    // through the node's config or named (Wine cannot list \\.\pipe\, so
    // finding the only node without either is not shown here)
    const pipe = "\\\\.\\pipe\\smolmesh-wine-relay";
    expect(win.log).toContain(`control socket ${pipe}`);
    const cfg = `Z:${win.configPath.replaceAll("/", "\\")}`;
    const table = await run([WINE, w.exe, "status", "--config", cfg], { env: { ...w.env, NO_COLOR: "1" } });
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("wine-relay");
    expect(table.stdout).toContain("peer-l");
    expect(table.stdout).toContain(`modern links' AES-GCM: ${CNG}`);
    const json = await run([WINE, w.exe, "status", "--json", "--socket", pipe], { env: w.env });
    expect(json.code).toBe(0);
    const snap = JSON.parse(json.stdout) as StatusSnapshot;
    expect(snap.node.name).toBe("wine-relay");
    expect(snap.node.memory.heapBytes).toBeGreaterThan(1 << 20);
    expect(snap.node.memory.rssBytes).toBeGreaterThan(snap.node.memory.heapBytes);
    expect(snap.links.filter((l) => l.state === "up").length).toBe(2);
    expect(snap.links.filter((l) => l.protocol === "modern").map((l) => l.peerName)).toEqual(["linux-relay"]);
    // the modern link carried the data (and the floods) both ways, sealed by CNG
    expect(snap.node.aesGcm).toBe(CNG);
    const modern = snap.links.find((l) => l.protocol === "modern");
    expect(modern?.packetsIn).toBeGreaterThan(sizes.length);
    expect(modern?.packetsOut).toBeGreaterThan(sizes.length);
    expect((await lin.status()).node.aesGcm).toMatch(/\(libcrypto\.so\.3\)$/);
    expect(snap.routes.map((r) => r.name)).toEqual(expect.arrayContaining(["linux-relay", "peer-l", "peer-w"]));
    // a second node with the same name would answer on the same pipe: refused
    const twin = new NodeProc("win-twin", { node_name: "wine-relay", control_socket: undefined, transports: [] }, [], {
      command: [WINE, w.exe],
      env: w.env,
      windowsPaths: true,
    });
    expect(await twin.exited()).toBe(1);
    expect(twin.log).toContain(`another node is running with control socket ${pipe}`);
    peerL.close();
    peerW.close();
  }, 120_000);
});

nodeSuite("wine", "Windows TUN node under Wine, Wintun test double", () => {
  test("IP packets cross the Wintun ring both ways, a full ring drains, and iphlpapi gets addresses, MTU and routes, removed on exit", async () => {
    const w = await wineEnv();
    const got: Uint8Array[] = [];
    let doublePort = 0;
    let adapterName = "";
    const udp = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: {
        data(_s, data, port) {
          const b = new Uint8Array(data);
          const text = new TextDecoder().decode(b);
          if (text.startsWith("hello ")) {
            doublePort = port;
            adapterName = text.slice(6);
          } else got.push(b);
        },
      },
    });
    const calls: string[] = [];
    const iphlp = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: {
        data(_s, data) {
          calls.push(new TextDecoder().decode(data));
        },
      },
    });
    const [pw, pl, pd] = [await freePort(), await freePort(), await freePort()];
    const win = new NodeProc(
      "win-tun",
      {
        node_name: "wine-tun",
        windows_tuntap: true,
        ipv4_addresses: ["10.77.0.5"],
        control_socket: false,
        dns: { listen: `127.0.0.1:${pd}` },
        transports: [{ type: "legacy_tcp_listen", port: pw, keys: ["wk"], bind: "0.0.0.0" }],
      },
      [],
      {
        command: [WINE, w.exe],
        env: {
          ...w.env,
          SMOLMESH_WINTUN_TEST_PORT: String(udp.port),
          SMOLMESH_IPHLPAPI_TEST_PORT: String(iphlp.port),
          SMOLMESH_WINTUN_LEFTOVER: "1",
          SMOLMESH_IPHLPAPI_NOT_READY: "3",
        },
        windowsPaths: true,
      },
    );
    await win.waitLog(/listening on 0\.0\.0\.0:/, 60_000);
    expect(win.log).toContain("smolmesh-wine-tun: reusing the Wintun adapter an earlier run left behind");
    // the adapter (the Wintun double's LUID) gets its MTU and the node's addresses before any packet
    const luid = "luid=600000000002a";
    // the adapter shows up in the IP stack after three lookups: the node waits for it
    await waitFor(() => calls.length >= 7, 10_000, "the IP Helper calls at start");
    expect(calls.slice(0, 7)).toEqual([
      "lookup IPv6 rc=1168",
      "lookup IPv6 rc=1168",
      "lookup IPv6 rc=1168",
      `mtu 6 65000 ${luid} rc=0`,
      `mtu 4 65000 ${luid} rc=0`,
      `addr add ${rfc5952("wine-tun")}/128 ${luid} origin=1/1 dad=4 rc=0`,
      `addr add 10.77.0.5/32 ${luid} origin=1/1 dad=4 rc=0`,
    ]);
    const lin = new NodeProc("lin-tun", {
      node_name: "linux-for-tun",
      transports: [
        { type: "legacy_tcp_connect", host: "127.0.0.1", port: pw, key: "wk" },
        { type: "legacy_tcp_listen", port: pl, keys: ["pk"] },
      ],
    });
    await lin.waitLog(/route added: \S+ \(wine-tun\)/, 20_000);
    const peer = await LegacyPeer.connect(pl, "pk");
    peer.announce("peer-behind-linux");
    peer.send(meshPacket(2, Uint8Array.from([10, 77, 0, 9])));
    await win.waitLog(/route added: \S+ \(peer-behind-linux\)/, 20_000);
    // the DNS responder answers over Winsock UDP: a heard name, an unknown one, garbage
    await win.waitLog(new RegExp(`DNS: answering NAME\\.mesh on 127\\.0\\.0\\.1:${pd}`), 10_000);
    expect(win.log).toContain(`Add-DnsClientNrptRule -Namespace ".mesh"`);
    const answers = new Map<number, dnsPacket.DecodedPacket & { rcode: string }>();
    const dnsSock = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: {
        data(_s, data) {
          const m = dnsPacket.decode(Buffer.from(data)) as dnsPacket.DecodedPacket & { rcode: string };
          answers.set(m.id ?? -1, m);
        },
      },
    });
    const ask = (id: number, name: string) =>
      dnsSock.send(dnsPacket.encode({ id, type: "query", questions: [{ name, type: "AAAA" }] }), pd, "127.0.0.1");
    dnsSock.send(Uint8Array.of(0, 77, 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 9), pd, "127.0.0.1");
    ask(1, "peer-behind-linux.mesh");
    ask(2, "nobody.mesh");
    await waitFor(() => answers.size >= 3, 10_000, "the Windows node's DNS answers");
    expect(answers.get(77)?.rcode).toBe("FORMERR");
    expect(answers.get(1)?.answers?.map((a) => ipaddr.parse((a as dnsPacket.StringAnswer).data).toString())).toEqual([
      rfc5952("peer-behind-linux"),
    ]);
    expect(answers.get(2)?.rcode).toBe("NXDOMAIN");
    dnsSock.close();
    await waitFor(() => doublePort > 0, 20_000, "the Wintun double's hello");
    expect(adapterName).toBe("smolmesh-wine-tun");
    // a key holder linked straight to the Windows node claims addresses it
    // must not (the internet, loopback), then a private one it may
    const mallory = await LegacyPeer.connect(pw, "wk", "127.0.0.1", 20_000);
    mallory.send(meshPacket(2, Uint8Array.from([1, 1, 1, 1])));
    mallory.send(meshPacket(2, Uint8Array.from([127, 0, 0, 1])));
    mallory.send(meshPacket(1, Uint8Array.from(ipaddr.parse("::1").toByteArray())));
    mallory.send(meshPacket(2, Uint8Array.from([10, 77, 0, 10])));
    // every learned destination is routed on-link to the adapter
    const routeTo = (ip: string, via: string) => `route add ${ip} ${luid} via=${via} metric=0 proto=3 rc=0`;
    const wanted = [
      routeTo(`${rfc5952("linux-for-tun")}/128`, "::"),
      routeTo(`${rfc5952("peer-behind-linux")}/128`, "::"),
      routeTo("10.77.0.9/32", "0.0.0.0"),
      routeTo("10.77.0.10/32", "0.0.0.0"),
    ];
    await waitFor(() => wanted.every((c) => calls.includes(c)), 20_000, "routes to the mesh's addresses").catch((e) => {
      throw new Error(`${(e as Error).message}; IP Helper calls so far:\n${calls.join("\n")}`);
    });
    // the claims before it were refused: no route for them, and the node says who tried
    expect(calls.filter((c) => /^route add (1\.1\.1\.1|127\.0\.0\.1|::1)\//.test(c))).toEqual([]);
    expect(win.log).toMatch(
      /refused a flood from link \d+ \(127\.0\.0\.1:\d+\) claiming 1\.1\.1\.1: outside accept_ipv4; not routed, not passed on/,
    );
    expect(win.log).toMatch(/claiming 127\.0\.0\.1: a loopback address/);
    mallory.close();

    // a second node started on the same adapter (no control pipe to warn it)
    // is refused a session and leaves the first one's addresses alone
    const before = calls.length;
    const twin = new NodeProc(
      "win-tun-twin",
      { node_name: "wine-tun", windows_tuntap: true, control_socket: false, transports: [] },
      [],
      {
        command: [WINE, w.exe],
        env: { ...w.env, SMOLMESH_WINTUN_TEST_PORT: String(udp.port), SMOLMESH_IPHLPAPI_TEST_PORT: String(iphlp.port) },
        windowsPaths: true,
      },
    );
    expect(await twin.exited()).toBe(1);
    expect(twin.log).toContain(
      "WintunStartSession smolmesh-wine-tun: Windows error 183 (is another smolmesh running with this adapter?)",
    );
    expect(calls.slice(before)).toEqual([]);

    // the "Windows IP stack" sends a packet into the TUN: it must reach the peer through Linux
    const out = ipv6Datagram(meshIpv6("wine-tun"), meshIpv6("peer-behind-linux"), te.encode("from the Wintun ring"));
    udp.send(out, doublePort, "127.0.0.1");
    await peer.until(() => peer.received(3).length > 0, 10_000, "the TUN packet at the peer");
    expect(Buffer.from((peer.received(3)[0] as Uint8Array).subarray(9)).equals(Buffer.from(out))).toBe(true);

    // a packet for the Windows node's address comes out of its TUN, byte for byte
    const inbound = ipv6Datagram(
      meshIpv6("peer-behind-linux"),
      meshIpv6("wine-tun"),
      te.encode("into the Wintun ring"),
    );
    peer.send(meshPacket(3, inbound));
    await waitFor(() => got.length > 0, 10_000, "a packet out of the Wintun double");
    expect(Buffer.from(got[0] as Uint8Array).equals(Buffer.from(inbound))).toBe(true);

    // IPv4 too, both ways
    const v4out = ipv4Datagram(Uint8Array.from([10, 77, 0, 5]), Uint8Array.from([10, 77, 0, 9]), te.encode("v4 out"));
    udp.send(v4out, doublePort, "127.0.0.1");
    const v4at = () => peer.received(3).filter((p) => Buffer.from(p.subarray(9)).equals(Buffer.from(v4out)));
    await peer.until(() => v4at().length > 0, 10_000, "the IPv4 TUN packet at the peer");
    const v4in = ipv4Datagram(Uint8Array.from([10, 77, 0, 9]), Uint8Array.from([10, 77, 0, 5]), te.encode("v4 in"));
    peer.send(meshPacket(3, v4in));
    const v4back = () => got.filter((p) => Buffer.from(p).equals(Buffer.from(v4in)));
    await waitFor(() => v4back().length > 0, 10_000, "an IPv4 packet out of the Wintun double");

    // 300 packets land in the ring under one signal of the (auto-reset) read
    // event: more than one read pass takes, so the node must come back for
    // the rest without a second signal
    const many = ipv6Datagram(meshIpv6("wine-tun"), meshIpv6("peer-behind-linux"), te.encode("burst #.."));
    udp.send(Buffer.concat([Buffer.from("burst:300:"), many]), doublePort, "127.0.0.1");
    const burst = () => peer.received(3).filter((p) => p.length === many.length + 9 && p[p.length - 3] === 0x23);
    await peer.until(() => burst().length >= 300, 10_000, "all 300 packets of the burst");
    const seen = new Set(burst().map((p) => ((p[p.length - 2] as number) << 8) | (p[p.length - 1] as number)));
    expect(seen.size).toBe(300);

    // on exit every route and address it added is deleted again
    expect(await win.stop("SIGINT")).toBe(0);
    const added = calls.filter((c) => / add .* rc=0$/.test(c));
    const removed = calls.filter((c) => / del .* rc=0$/.test(c));
    const key = (c: string) => c.split(" ").slice(0, 4).join(" ").replace(" add ", " ").replace(" del ", " ");
    expect(added.length).toBe(wanted.length + 2);
    expect(removed.map(key).sort()).toEqual(added.map(key).sort());
    peer.close();
    udp.close();
    iphlp.close();
  }, 120_000);

  test("without Administrator rights (for Wintun or for iphlpapi), or without wintun.dll, it says what to do and exits 1", async () => {
    const w = await wineEnv();
    const denied = new NodeProc(
      "win-denied",
      { node_name: "wine-denied", windows_tuntap: true, control_socket: false, transports: [] },
      [],
      {
        command: [WINE, w.exe],
        env: { ...w.env, SMOLMESH_WINTUN_DENY: "1", SMOLMESH_WINTUN_TEST_PORT: "9" },
        windowsPaths: true,
      },
    );
    expect(await denied.exited()).toBe(1);
    expect(denied.log).toContain(
      "smolmesh: needs Administrator to create the Wintun adapter; run from an elevated prompt, or set windows_tuntap to false for a relay node",
    );
    const noAddresses = new NodeProc(
      "win-noaddr",
      { node_name: "wine-noaddr", windows_tuntap: true, control_socket: false, transports: [] },
      [],
      {
        command: [WINE, w.exe],
        env: { ...w.env, SMOLMESH_IPHLPAPI_DENY: "1", SMOLMESH_WINTUN_TEST_PORT: "9" },
        windowsPaths: true,
      },
    );
    expect(await noAddresses.exited()).toBe(1);
    expect(noAddresses.log).toContain(
      "smolmesh: needs Administrator to set the Wintun adapter's addresses; run from an elevated prompt, or set windows_tuntap to false for a relay node",
    );
    const missing = new NodeProc(
      "win-nodll",
      {
        node_name: "wine-nodll",
        windows_tuntap: true,
        control_socket: false,
        wintun_dll: "C:\\nowhere\\wintun.dll",
        transports: [],
      },
      [],
      { command: [WINE, w.exe], env: w.env, windowsPaths: true },
    );
    expect(await missing.exited()).toBe(1);
    expect(missing.log).toContain(
      "wintun.dll not found at C:\\nowhere\\wintun.dll: download Wintun from https://www.wintun.net",
    );
  }, 120_000);
});
