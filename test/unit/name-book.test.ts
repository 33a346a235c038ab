/**
 * The names a node answers in DNS, read from a real routing table: its
 * own, names heard in floods (as flooded, or in another case), addresses
 * back to names; an address route without a name is no name.
 */
import { expect, test } from "bun:test";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import { RoutingTable } from "../../src/mesh/routing-table.ts";
import { MeshNameBook } from "../../src/node/name-book.ts";

const flood = new Uint8Array(20);

function book(now: { t: number }) {
  const table = new RoutingTable();
  const learnName = (name: string) => {
    const ip = nameToIpv6(name);
    table.learn(keyOf(ip), ip, "name", name, 1, 1, now.t, flood, 0, flood.length);
  };
  const own = { name: "Self", ipv6: nameToIpv6("Self"), ipv4: [Uint8Array.of(10, 0, 0, 1)] };
  return { table, learnName, names: new MeshNameBook(own, table, () => now.t) };
}

test("own name, heard names in any case, and nothing else", () => {
  const now = { t: 0 };
  const { learnName, names, table } = book(now);
  learnName("beta");
  learnName("Gamma");
  const ip = Uint8Array.of(0xfd, 0, ...new Array(13).fill(0), 9);
  table.learn(keyOf(ip), ip, "ipv6", undefined, 1, 1, 0, flood, 0, flood.length);
  expect(names.forward("self")?.ipv4).toEqual([Uint8Array.of(10, 0, 0, 1)]);
  expect(names.forward("BETA")?.name).toBe("beta");
  expect(names.forward("gamma")?.name).toBe("Gamma");
  expect(names.forward("Gamma")?.ipv6).toEqual(nameToIpv6("Gamma"));
  expect(names.forward("nobody")).toBeUndefined();
  expect(names.reverse(nameToIpv6("beta"))).toBe("beta");
  expect(names.reverse(nameToIpv6("Self"))).toBe("Self");
  expect(names.reverse(Uint8Array.of(10, 0, 0, 1))).toBe("Self");
  expect(names.reverse(ip)).toBeUndefined();
  // a name learned after the case index was built is found once the index is a second old
  learnName("Delta");
  expect(names.forward("delta")).toBeUndefined();
  now.t += 1000;
  expect(names.forward("delta")?.name).toBe("Delta");
  expect(names.forward("Delta")?.name).toBe("Delta"); // as flooded: at once, no index needed
});
