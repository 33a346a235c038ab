/**
 * The DNS responder as a function: query bytes and what the node knows in,
 * answer bytes out (no socket, no clock). Messages are read and written by
 * dns-packet; this file decides what to answer.
 *
 * - `NAME.SUFFIX` AAAA: the mesh IPv6 of a node heard in floods (or this
 *   node); A: this node's configured IPv4 addresses (other nodes' IPv4
 *   addresses are not tied to their names by the protocol); any other
 *   type: no data. An unknown NAME: NXDOMAIN.
 * - PTR of a node address (under 0.0.d.f.ip6.arpa) or of this node's IPv4:
 *   `NAME.SUFFIX`; an unknown address in fd00::/16: NXDOMAIN.
 * - Anything else: REFUSED (this is no recursive resolver).
 * - A message that does not parse: FORMERR when its 12-byte header is
 *   there, else nothing. Responses are never answered. Other opcodes:
 *   NOTIMP. Not exactly one question: FORMERR.
 *
 * Sizes: an answer fits 512 bytes, or the client's EDNS size up to 1232;
 * records that do not fit are left out and TC is set. A query is at least
 * 17 bytes (a header and a question), an answer to it is a few records of
 * its own name, so nothing is multiplied (and the server answers only
 * this machine: dns-server.ts).
 */
import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import { formatIp } from "../addr/format.ts";
import { dnsNameOf, parseReverse, REVERSE_ZONE, underSuffix } from "./names.ts";

/** What the node knows: read at the moment of each query. */
export interface NameBook {
  /** The node named `name` (exact case first, then without case): its name as flooded and addresses. */
  forward(name: string): { name: string; ipv6: Uint8Array; ipv4: Uint8Array[] } | undefined;
  /** The node name of a mesh IPv6 (or of this node's IPv4), when known. */
  reverse(ip: Uint8Array): string | undefined;
}

export interface ResponderOptions {
  /** Lowercase, without dots at either end, e.g. "mesh". */
  suffix: string;
  /** Seconds answers may be cached (a name's address never changes; whether it is heard does). */
  ttl?: number;
  /** Seconds a "no such name" may be cached (the SOA minimum). */
  negativeTtl?: number;
}

/** How a query ended, for counters. */
export type Outcome = "answered" | "nodata" | "nxdomain" | "refused" | "formerr" | "notimp" | "dropped";

export interface Response {
  outcome: Outcome;
  /** The answer's bytes; undefined when nothing is sent. */
  bytes: Uint8Array | undefined;
}

export const DEFAULT_TTL = 60;
export const DEFAULT_NEGATIVE_TTL = 5;
/** Answer size without EDNS (RFC 1035), and the most we send with it (the DNS flag day 2020 figure). */
export const PLAIN_UDP_SIZE = 512;
export const MAX_UDP_SIZE = 1232;
const HEADER = 12;

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const OPCODE_QUERY = 0;

type Decoded = dnsPacket.DecodedPacket;
type Rr = dnsPacket.Answer;

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** dns-packet throws on a message it cannot read: that is a bad query, not a failure. */
function decode(b: Uint8Array): Decoded | undefined {
  try {
    return dnsPacket.decode(asBuffer(b));
  } catch {
    return undefined;
  }
}

/** The header alone (counts read as zero), for answering a message whose body does not parse. */
function decodeHeader(b: Uint8Array): Decoded | undefined {
  if (b.length < HEADER) return undefined;
  const h = b.slice(0, HEADER);
  h.fill(0, 4);
  return decode(h);
}

function opcodeOf(p: Decoded): number {
  return (p.flags ?? 0) >> 11;
}

/** Response flags: the query's opcode and RD, AA when we are the authority, the rcode. */
function flags(q: Decoded, rcode: number, authoritative: boolean): number {
  const rd = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  return (opcodeOf(q) << 11) | rd | (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | rcode;
}

function headerOnly(q: Decoded, rcode: number): Uint8Array {
  return dnsPacket.encode({ id: q.id, type: "response", flags: flags(q, rcode, false) });
}

function optOf(q: Decoded): dnsPacket.OptAnswer | undefined {
  return q.additionals?.find((r): r is dnsPacket.OptAnswer => r.type === "OPT");
}

export function respond(query: Uint8Array, book: NameBook, opts: ResponderOptions): Response {
  const q = decode(query);
  if (!q) {
    const h = decodeHeader(query);
    if (!h || h.type === "response") return { outcome: "dropped", bytes: undefined };
    return { outcome: "formerr", bytes: headerOnly(h, RCODE.FORMERR) };
  }
  if (q.type === "response") return { outcome: "dropped", bytes: undefined };
  if (opcodeOf(q) !== OPCODE_QUERY) return { outcome: "notimp", bytes: headerOnly(q, RCODE.NOTIMP) };
  const question = q.questions?.[0];
  if (!question || q.questions?.length !== 1) return { outcome: "formerr", bytes: headerOnly(q, RCODE.FORMERR) };
  const opt = optOf(q);
  const limit = opt ? Math.min(MAX_UDP_SIZE, Math.max(PLAIN_UDP_SIZE, opt.udpPayloadSize ?? 0)) : PLAIN_UDP_SIZE;
  const d = decide(question, book, opts);
  const packet: dnsPacket.Packet = {
    id: q.id,
    type: "response",
    flags: flags(q, d.rcode, d.outcome !== "refused"),
    questions: [question],
    answers: d.answers,
    authorities: d.authorities,
    additionals: opt ? [ourOpt()] : [],
  };
  return { outcome: d.outcome, bytes: fit(packet, limit) };
}

function ourOpt(): dnsPacket.OptAnswer {
  return {
    type: "OPT",
    name: ".",
    udpPayloadSize: MAX_UDP_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

/** Encodes `p`, leaving records out from the end (and setting TC) until it fits `limit`. */
function fit(p: dnsPacket.Packet, limit: number): Uint8Array {
  let bytes = dnsPacket.encode(p);
  while (bytes.length > limit && (p.answers?.length || p.authorities?.length)) {
    if (p.answers?.length) p.answers.pop();
    else p.authorities?.pop();
    p.flags = (p.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
    bytes = dnsPacket.encode(p);
  }
  return bytes;
}

interface Decision {
  outcome: Outcome;
  rcode: number;
  answers: Rr[];
  authorities: Rr[];
}

function decide(question: dnsPacket.Question, book: NameBook, opts: ResponderOptions): Decision {
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const qname = question.name;
  // dns-packet names the wildcard type ANY (255), which its types leave out
  const type: string = question.type;
  const cls = question.class ?? "IN";
  const refused: Decision = { outcome: "refused", rcode: RCODE.REFUSED, answers: [], authorities: [] };
  if (cls !== "IN" && cls !== "ANY") return refused;

  const zone = underSuffix(qname, opts.suffix);
  const reverse = zone === undefined ? parseReverse(qname) : undefined;
  const apex =
    zone !== undefined
      ? opts.suffix
      : reverse && (reverse === "zone" || reverse.ip.length === 16)
        ? REVERSE_ZONE
        : undefined;
  const soa = (): Rr[] => (apex ? [soaRecord(apex, opts)] : []);
  const nodata = (): Decision => ({ outcome: "nodata", rcode: RCODE.NOERROR, answers: [], authorities: soa() });
  const nxdomain = (): Decision => ({ outcome: "nxdomain", rcode: RCODE.NXDOMAIN, answers: [], authorities: soa() });
  const answered = (answers: Rr[]): Decision =>
    answers.length ? { outcome: "answered", rcode: RCODE.NOERROR, answers, authorities: [] } : nodata();

  if (zone === "") return type === "SOA" ? answered(soa()) : nodata();
  if (zone !== undefined) {
    const node = book.forward(zone);
    if (!node) return nxdomain();
    if (type === "AAAA" || type === "ANY")
      return answered([{ name: qname, type: "AAAA", ttl, data: formatIp(node.ipv6) }]);
    if (type === "A") return answered(node.ipv4.map((a) => ({ name: qname, type: "A", ttl, data: formatIp(a) })));
    return nodata();
  }
  if (reverse === undefined) return refused;
  if (reverse === "zone") return type === "SOA" && qname.toLowerCase() === REVERSE_ZONE ? answered(soa()) : nodata();
  const known = book.reverse(reverse.ip);
  const target = known === undefined ? undefined : dnsNameOf(known, opts.suffix);
  if (target === undefined) return reverse.ip.length === 16 ? nxdomain() : refused;
  return type === "PTR" || type === "ANY" ? answered([{ name: qname, type: "PTR", ttl, data: target }]) : nodata();
}

function soaRecord(zone: string, opts: ResponderOptions): Rr {
  const negative = opts.negativeTtl ?? DEFAULT_NEGATIVE_TTL;
  return {
    name: zone,
    type: "SOA",
    ttl: negative,
    data: {
      mname: zone,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: negative,
    },
  };
}
