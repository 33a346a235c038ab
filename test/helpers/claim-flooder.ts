/**
 * A key holder that claims addresses, as a process of its own so that a
 * test can run it inside a network namespace:
 *
 *   ip netns exec NS bun test/helpers/claim-flooder.ts PORT KEY NAME ADDRESS...
 *
 * It links to the node at 127.0.0.1:PORT with the legacy protocol (the
 * test peer in legacy-peer.ts), floods its NAME, and then once a second
 * floods every ADDRESS with a fresh timestamp, as ordinary cmd 2 (IPv4) or
 * cmd 1 (IPv6) floods, until it is killed or the node closes the link.
 * It prints "linked", then "round N" after each round, on stdout.
 */
import ipaddr from "ipaddr.js";
import { LegacyPeer, meshPacket } from "./legacy-peer.ts";

const [port, key, name, ...addresses] = process.argv.slice(2);
if (!port || !key || !name) {
  console.error("usage: claim-flooder.ts PORT KEY NAME ADDRESS...");
  process.exit(2);
}
const claims = addresses.map((a) => Uint8Array.from(ipaddr.parse(a).toByteArray()));
const peer = await LegacyPeer.connect(Number(port), key);
console.log("linked");
let round = 0;
const flood = () => {
  if (peer.closed) {
    console.log("closed");
    process.exit(1);
  }
  peer.announce(name);
  for (const c of claims) peer.send(meshPacket(c.length === 4 ? 2 : 1, c));
  console.log(`round ${++round}`);
};
flood();
setInterval(flood, 1000);
