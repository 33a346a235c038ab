/**
 * `npm run bench:wintun [-- OTHER.exe]`: how fast an idle Windows TUN node
 * (the Windows build under Wine, with the wintun.dll test double) notices
 * a packet from Windows. Each sample sends one IPv6 packet for an address
 * nobody announced into the adapter after more than 2 s of silence; the
 * node answers it with ICMPv6 unreachable out of the adapter; the time
 * from send to answer is the sample. With another Windows build given, it
 * is measured the same way, for an A/B comparison.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { ipv6Datagram, meshIpv6 } from "../helpers/legacy-peer.ts";
import { NodeProc, stopAll, waitFor } from "../helpers/node-proc.ts";
import { WINE, wineAvailable, wineEnv } from "../helpers/wine.ts";

const SAMPLES = 12;

if (!wineAvailable) {
  console.error("needs wine64 and mingw-w64: npm test installs them (test/setup/system-deps.sh)");
  process.exit(1);
}
const w = await wineEnv();

async function measure(exe: string): Promise<number[]> {
  let port = 0;
  let wake: (() => void) | undefined;
  const udp = await Bun.udpSocket({
    hostname: "127.0.0.1",
    socket: {
      data(_s, d, p) {
        if (new TextDecoder().decode(new Uint8Array(d)).startsWith("hello ")) port = p;
        else wake?.();
      },
    },
  });
  const node = new NodeProc(
    "wake",
    { node_name: "wine-wake", windows_tuntap: true, control_socket: false, transports: [] },
    [],
    { command: [WINE, exe], env: { ...w.env, SMOLMESH_WINTUN_TEST_PORT: String(udp.port) }, windowsPaths: true },
  );
  try {
    await waitFor(() => port > 0, 60_000, "the Wintun double's hello");
    const rtts: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await Bun.sleep(2100 + Math.random() * 100); // idle: longer than any "recently busy" window
      const answered = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const pkt = ipv6Datagram(meshIpv6("wine-wake"), meshIpv6(`nobody-${i}`), new TextEncoder().encode("?"));
      const t0 = performance.now();
      udp.send(pkt, port, "127.0.0.1");
      await Promise.race([
        answered,
        Bun.sleep(5000).then(() => {
          throw new Error("no ICMPv6 answer within 5 s");
        }),
      ]);
      rtts.push(performance.now() - t0);
    }
    return rtts.sort((a, b) => a - b);
  } finally {
    await node.stop("SIGKILL");
    await stopAll();
    udp.close();
  }
}

const builds: [string, string][] = [["this build", w.exe]];
if (process.argv[2]) {
  const other = join(w.dir, "other.exe"); // beside the wintun.dll double
  copyFileSync(process.argv[2], other);
  builds.push([process.argv[2], other]);
}
for (const [name, exe] of builds) {
  const r = await measure(exe);
  const median = r[Math.floor(r.length / 2)] as number;
  console.log(
    `${name}: packet into an idle Wintun adapter -> answer out of it: median ${median.toFixed(2)} ms, max ${(r[r.length - 1] as number).toFixed(2)} ms (${r.length} samples)`,
  );
}
process.exit(0);
