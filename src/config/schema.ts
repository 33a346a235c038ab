/**
 * The config file, validated with zod. The original smolmesh2 fields keep
 * their names and meanings (node_name, ipv4_addresses, linux_tuntap,
 * windows_tuntap, transports of type legacy_tcp_connect / legacy_tcp_listen);
 * everything smolmesh adds is optional with a default. Each validator's
 * message is what was expected; load.ts adds the JSON path and what was
 * found.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { isSuffix } from "../dns/names.ts";
import { DEFAULT_DESTINATION_LIMITS } from "../mesh/destination-gate.ts";
import { acceptIpv4, acceptIpv6 } from "./accept-ranges.ts";
import { parseHostPort } from "./host-port.ts";

const port = z
  .number({ error: "a port number (an integer from 1 to 65535)" })
  .int({ error: "a port number (an integer from 1 to 65535)" })
  .min(1, { error: "a port number (an integer from 1 to 65535)" })
  .max(65535, { error: "a port number (an integer from 1 to 65535)" });

const ipv4 = z
  .string({ error: 'an IPv4 address as text, like "10.0.0.1"' })
  .refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), {
    error: 'an IPv4 address in dotted-quad form, like "10.0.0.1"',
  });

const ipLiteral = z
  .string({ error: 'an IP address as text, like "::" or "0.0.0.0"' })
  .refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s), {
    error: 'an IPv4 or IPv6 address, like "0.0.0.0" or "::"',
  });

const key = z.string({ error: "a shared key as a string" });

export const connectSchema = z.strictObject({
  type: z.literal("legacy_tcp_connect"),
  host: z.string({ error: "a host name or IP address" }).min(1, { error: "a host name or IP address" }),
  port,
  key,
  /** The smolmesh2 generation the peer speaks: "speck" (before 2025) or "gimli" (its current version). */
  cipher: z.enum(["speck", "gimli"], { error: '"speck" or "gimli"' }).default("speck"),
});

export const listenSchema = z.strictObject({
  type: z.literal("legacy_tcp_listen"),
  port,
  keys: z.array(key, { error: "a list of shared key strings" }).min(1, { error: "at least one key" }),
  /** Address to listen on. "::" (the default) is every IPv6 and IPv4 address. */
  bind: ipLiteral.default("::"),
});

/** The modern link protocol (LINK-PROTOCOL.md): Noise with a PSK, X25519 + ML-KEM-768, AES-256-GCM. */
export const modernConnectSchema = z.strictObject({
  type: z.literal("tcp_connect"),
  host: z.string({ error: "a host name or IP address" }).min(1, { error: "a host name or IP address" }),
  port,
  key: key.min(1, { error: "a non-empty shared key" }),
});

export const modernListenSchema = z.strictObject({
  type: z.literal("tcp_listen"),
  port,
  keys: z
    .array(key.min(1, { error: "a non-empty shared key" }), { error: "a list of shared key strings" })
    .min(1, { error: "at least one key" }),
  /** Address to listen on. "::" (the default) is every IPv6 and IPv4 address. */
  bind: ipLiteral.default("::"),
  /** Also accept legacy connectors (both smolmesh2 generations) on this port, told apart by their first bytes. */
  legacy: z.boolean({ error: "true or false" }).default(false),
});

export const TRANSPORT_TYPES = ["tcp_connect", "tcp_listen", "legacy_tcp_connect", "legacy_tcp_listen"];

const transport = z.discriminatedUnion("type", [modernConnectSchema, modernListenSchema, connectSchema, listenSchema], {
  error: `a transport whose "type" is one of ${TRANSPORT_TYPES.join(", ")}`,
});

/** Longest node name (JSON-encoded bytes) a modern link's handshake payload carries. */
export const NODE_NAME_MODERN_MAX = 960;

/** A whole number from `min` up, for limits. */
const count = (what: string, min: number) =>
  z
    .number({ error: `${what} (a whole number from ${min})` })
    .int({ error: `${what} (a whole number from ${min})` })
    .min(min, { error: `${what} (a whole number from ${min})` });

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

const hostPort = z
  .string({ error: 'an address and port like "127.0.0.1:9464" or "[::1]:9464"' })
  .refine((s) => parseHostPort(s) !== undefined, {
    error: 'an IP address and port like "127.0.0.1:9464" or "[::1]:9464"',
  });

/** The DNS responder of a TUN node (node/dns-service.ts): true, false, or its settings. */
export const DEFAULT_DNS_SUFFIX = "mesh";
const dnsSettings = z.strictObject({
  enabled: z.boolean({ error: "true or false" }).default(true),
  /** NAME.SUFFIX answers with NAME's mesh address. */
  suffix: z
    .string({ error: 'a DNS suffix like "mesh"' })
    .transform((s) => s.toLowerCase())
    .refine(isSuffix, { error: 'a DNS suffix: letters, digits and hyphens in dot-separated labels, like "mesh"' })
    .default(DEFAULT_DNS_SUFFIX),
  /** Where it answers; default: the node's mesh IPv6, port 53. */
  listen: hostPort.optional(),
});
const dns = z
  .union([z.boolean(), dnsSettings], { error: 'true, false, or settings like {"suffix": "mesh"}' })
  .default(true)
  .transform((d) => (typeof d === "boolean" ? { enabled: d, suffix: DEFAULT_DNS_SUFFIX } : d));
export type DnsConfig = z.output<typeof dnsSettings>;

export const configSchema = z
  .strictObject({
    node_name: z.string({ error: "the node's name as a string" }).min(1, { error: "a non-empty node name" }),
    ipv4_addresses: z.array(ipv4, { error: "a list of IPv4 addresses" }).default([]),
    linux_tuntap: z.boolean({ error: "true or false" }).default(false),
    windows_tuntap: z.boolean({ error: "true or false" }).default(false),
    transports: z.array(transport, { error: "a list of transports" }).default([]),
    /** TUN interface name (Linux: at most 15 bytes). Default: smolmesh1; Windows: smolmesh-NODE_NAME, as the original. */
    interface_name: z
      .string({ error: "an interface name" })
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, { error: "an interface name of 1-15 letters, digits, '_', '.' or '-'" })
      .optional(),
    /** TUN MTU. Large by default: per-packet cost dominates on TCP links (see README). */
    mtu: z
      .number({ error: "an MTU (an integer from 1280 to 65000)" })
      .int({ error: "an MTU (an integer from 1280 to 65000)" })
      .min(1280, { error: "an MTU (an integer from 1280 to 65000)" })
      .max(65000, { error: "an MTU (an integer from 1280 to 65000)" })
      .default(65000),
    /** Path of the control socket for `smolmesh status`, or false for none. Default: /run/smolmesh/NODE_NAME.sock (Windows: the pipe \\.\pipe\smolmesh-NODE_NAME) */
    control_socket: z
      .union([z.string().min(1), z.literal(false)], { error: "a path for the control socket, or false for none" })
      .optional(),
    /** Windows: path of wintun.dll (default: beside smolmesh.exe). */
    wintun_dll: z.string({ error: "a path to wintun.dll" }).min(1, { error: "a path to wintun.dll" }).optional(),
    log_level: z.enum(LOG_LEVELS, { error: `one of ${LOG_LEVELS.join(", ")}` }).default("info"),
    /** Ranges floods may claim at this node (accept-ranges.ts); default: the private ranges. */
    accept_ipv4: acceptIpv4,
    /** Default: fd00::/8, where every name-derived address lies. */
    accept_ipv6: acceptIpv6,
    /** Serve GET /metrics (Prometheus text) on this address, e.g. "127.0.0.1:9464" (default: off). */
    metrics_listen: hostPort.optional(),
    /** TUN nodes answer NAME.SUFFIX in DNS (default: on, suffix "mesh"). */
    dns,
    /** Destinations (routes) the node holds at most; floods for new ones past it are dropped. */
    max_destinations: count("a number of destinations", 1).default(DEFAULT_DESTINATION_LIMITS.max),
    /** New destinations one link may introduce at once (a node joining a mesh learns it through one link). */
    new_destinations_burst: count("a number of destinations", 1).default(DEFAULT_DESTINATION_LIMITS.burst),
    /** ...and per second after that burst. */
    new_destinations_per_second: count("a number of destinations per second", 0).default(
      DEFAULT_DESTINATION_LIMITS.perSecond,
    ),
  })
  .superRefine((c, ctx) => {
    // the modern handshake carries the name in a payload of at most 1,024 bytes (with room for "software")
    if (usesModernLinks(c) && new TextEncoder().encode(JSON.stringify(c.node_name)).length > NODE_NAME_MODERN_MAX) {
      ctx.addIssue({
        code: "custom",
        path: ["node_name"],
        message: `a node name of at most ${NODE_NAME_MODERN_MAX} bytes as JSON (modern links carry it in their handshake)`,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConnectTransport = z.output<typeof connectSchema>;
export type ListenTransport = z.output<typeof listenSchema>;
export type ModernConnectTransport = z.output<typeof modernConnectSchema>;
export type ModernListenTransport = z.output<typeof modernListenSchema>;

/** Where the control socket of a node with this config lives (undefined: none). */
export function controlSocketPath(
  config: Pick<Config, "node_name" | "control_socket">,
  platform: string = process.platform,
): string | undefined {
  if (config.control_socket === false) return undefined;
  const name = config.node_name.replace(/[^A-Za-z0-9._-]/g, "_");
  return (
    config.control_socket ?? (platform === "win32" ? `\\\\.\\pipe\\smolmesh-${name}` : `/run/smolmesh/${name}.sock`)
  );
}

/**
 * The TUN device's name: `interface_name`, else smolmesh1 on Linux (15
 * bytes at most there) and, on Windows, smolmesh-NODE_NAME as smolmesh2
 * named its Wintun adapter (cut to Wintun's 127 characters).
 */
export function tunName(
  config: Pick<Config, "node_name" | "interface_name">,
  platform: string = process.platform,
): string {
  if (config.interface_name !== undefined) return config.interface_name;
  return platform === "win32" ? `smolmesh-${config.node_name}`.slice(0, 127) : "smolmesh1";
}

/** Whether a node with this config runs a TUN device on `platform` (linux_tuntap / windows_tuntap, as in the original). */
export function wantsTun(config: Pick<Config, "linux_tuntap" | "windows_tuntap">, platform: string): boolean {
  return platform === "win32" ? config.windows_tuntap : config.linux_tuntap;
}

/** Whether any transport speaks the modern link protocol. */
export function usesModernLinks(c: { transports: readonly { type: string }[] }): boolean {
  return c.transports.some((t) => t.type === "tcp_connect" || t.type === "tcp_listen");
}
