/**
 * What the responder would answer for a name or address, as `smolmesh
 * resolve` prints it: the same queries a resolver sends (AAAA and A for a
 * name, PTR for an address), built with dns-packet, answered by
 * `respond`, and read back. No rate limit: this is the node's own answer,
 * not a datagram.
 */
import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { formatIp } from "../addr/format.ts";
import { parseIpv4, parseIpv6 } from "../addr/parse.ts";
import { isDnsName, reverseName, underSuffix } from "./names.ts";
import { type NameBook, respond } from "./responder.ts";

export interface LookupLine {
  name: string;
  type: "AAAA" | "A" | "PTR";
  /** NOERROR, NXDOMAIN, REFUSED ... */
  rcode: string;
  /** Addresses (AAAA, A) or names (PTR); empty with NOERROR: the name exists but has no such record. */
  answers: string[];
}

/** `text` is a node name, NAME.SUFFIX, or an address (asked for its PTR). */
export function lookup(text: string, book: NameBook, suffix: string): LookupLine[] {
  const ip = parseIpv6(text) ?? parseIpv4(text);
  if (ip) return [ask(reverseName(ip), "PTR", book, suffix)];
  const name = text.replace(/\.$/, "");
  const qname = underSuffix(name, suffix) === undefined ? `${name}.${suffix}` : name;
  return [ask(qname, "AAAA", book, suffix), ask(qname, "A", book, suffix)];
}

function ask(name: string, type: LookupLine["type"], book: NameBook, suffix: string): LookupLine {
  // dns-packet writes whatever it is given; a resolver could not have asked this
  if (!isDnsName(name)) return { name, type, rcode: "not a DNS name", answers: [] };
  const query = dnsPacket.encode({ id: 1, type: "query", questions: [{ name, type, class: "IN" }] });
  const r = respond(query, book, { suffix });
  if (!r.bytes) return { name, type, rcode: "FORMERR", answers: [] };
  const msg = dnsPacket.decode(Buffer.from(r.bytes)) as dnsPacket.DecodedPacket & { rcode: string };
  const answers = (msg.answers ?? []).map((a) => {
    const data = (a as dnsPacket.StringAnswer).data;
    if (type === "PTR") return data;
    return formatIp((parseIpv6(data) ?? parseIpv4(data)) as Uint8Array);
  });
  return { name, type, rcode: msg.rcode, answers };
}
