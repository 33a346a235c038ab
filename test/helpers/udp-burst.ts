/**
 * `bun udp-burst.ts ADDRESS PORT COUNT`: sends COUNT small UDP datagrams to
 * ADDRESS:PORT as fast as the socket takes them, then exits. Run inside a
 * test's namespace (ip netns exec) to hand a node a burst through its TUN.
 * The ICMP errors the burst earns come back as errors of later sends
 * (EHOSTUNREACH, ECONNREFUSED): expected, and not a reason to stop.
 */
const [address, port, count] = process.argv.slice(2);
if (!address || !port || !count) {
  console.error("usage: udp-burst.ts ADDRESS PORT COUNT");
  process.exit(2);
}
async function main(address: string, port: number, count: number): Promise<void> {
  const sock = await Bun.udpSocket({ hostname: address.includes(":") ? "::" : "0.0.0.0" });
  const payload = new Uint8Array(32);
  for (let i = 0; i < count; i++) {
    new DataView(payload.buffer).setUint32(0, i);
    try {
      sock.send(payload, port, address);
    } catch {
      // an earlier datagram's ICMP error, reported here
    }
  }
  sock.close();
}

await main(address, Number(port), Number(count));

export {};
