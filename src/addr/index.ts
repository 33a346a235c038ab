export { formatIp, formatIpv4, formatIpv6 } from "./format.ts";
export { type DestDrop, type Destination, destinationOf, sourceOf } from "./ip-packet.ts";
export { nameToIpv6, nameToIpv6Text } from "./node-name.ts";
export { parseIpv4, parseIpv6 } from "./parse.ts";
export { randomIpv4, randomIpv6 } from "./random.ts";
