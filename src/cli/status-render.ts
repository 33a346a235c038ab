/** The views of a status snapshot: the table operators read, and Prometheus text. */
import Table from "cli-table3";
import type { StatusSnapshot } from "../node/status.ts";

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function humanDuration(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

function table(head: string[], color: boolean): Table.Table {
  return new Table({
    head,
    style: { head: color ? ["cyan"] : [], border: color ? ["grey"] : [], compact: true },
    chars: color ? {} : undefined,
  });
}

export function renderTable(s: StatusSnapshot, color: boolean): string {
  const out: string[] = [];
  const n = s.node;
  out.push(
    `smolmesh ${n.version}  node ${n.name}  pid ${n.pid}  up ${humanDuration(n.uptimeS)}` +
      (n.interface ? `  ${n.interface} mtu ${n.mtu}` : "  relay (no TUN)") +
      `  memory ${humanBytes(n.memory.rssBytes)} (heap ${humanBytes(n.memory.heapBytes)})`,
  );
  out.push(`addresses: ${n.addresses.map((a) => (n.dnsName ? `${a} (${n.dnsName})` : a)).join(", ")}`);
  out.push(`modern links' AES-GCM: ${n.aesGcm}`);
  out.push("");
  const links = table(
    [
      "link",
      "peer",
      "node",
      "dir",
      "protocol",
      "state",
      "up",
      "keys",
      "in",
      "out",
      "pkts in/out",
      "drops",
      "queued",
      "last rx",
    ],
    color,
  );
  for (const l of s.links) {
    links.push([
      l.id,
      l.peer,
      l.peerName ?? "",
      l.direction,
      l.protocol ?? "?",
      l.state,
      humanDuration(l.uptimeS),
      l.keys
        ? `${humanDuration(Math.max(l.keys.txAgeS, l.keys.rxAgeS))} old, ${l.keys.txRekeys + l.keys.rxRekeys} rekeys`
        : "-",
      humanBytes(l.bytesIn),
      humanBytes(l.bytesOut),
      `${l.packetsIn}/${l.packetsOut}`,
      l.dataDropped + l.controlDropped,
      humanBytes(l.queuedBytes),
      `${humanDuration(l.lastReceivedS)} ago`,
    ]);
  }
  out.push(`LINKS (${s.links.length})`);
  out.push(s.links.length ? links.toString() : "  none");
  const waiting = s.connectors.filter((c) => !c.linked);
  for (const c of waiting) out.push(`  connecting to ${c.target}${c.lastError ? `: ${c.lastError}` : ""}`);
  for (const l of s.listeners) out.push(`  listening on ${l.address} (${l.accepted} accepted)`);
  if (s.listeners.length) {
    const h = s.handshakes;
    out.push(`  handshakes: ${h.pending} pending, ${h.displaced} gave way to newer connections`);
  }
  out.push("");
  const routes = table(["destination", "node", "via link", "peer", "flood age", "backups"], color);
  for (const r of s.routes) {
    routes.push([
      r.destination,
      r.dnsName ?? r.name ?? `(${r.kind})`,
      r.nextHop ?? "unreachable",
      r.nextHopPeer ?? "",
      humanDuration(r.floodAgeS),
      r.backups.length ? r.backups.join(", ") : "-",
    ]);
  }
  out.push(`ROUTES (${s.routes.length})`);
  out.push(s.routes.length ? routes.toString() : "  none");
  out.push("");
  const c = s.router;
  out.push(
    `TOTALS  packets ${c.received} in, ${c.dataForwarded} data forwarded, ${c.dataDelivered} delivered, ` +
      `${c.floodsAccepted} floods accepted, ${c.floodsOriginated} originated`,
  );
  out.push(
    `DROPS   stale ${c.stale}, duplicate ${c.duplicateFloods + c.duplicateData}, no route ${c.dataNoRoute}, ` +
      `queue full ${c.sendDropped}, malformed ${c.tooShort + c.dataShortIp + c.badFloodBody}, unknown command ${c.unknownCommand}`,
  );
  const refused = c.claimsOutside + c.claimsSpecial + c.claimsOwn + c.claimsUnderlay;
  out.push(
    `CLAIMS  refused ${refused} (outside the ranges ${c.claimsOutside}, special ${c.claimsSpecial}, own ${c.claimsOwn}, ` +
      `link addresses ${c.claimsUnderlay}), routes withdrawn ${c.routesWithdrawn}; accepted in ` +
      `${[...s.claims.acceptIpv4, ...s.claims.acceptIpv6].join(", ") || "nothing"}`,
  );
  if (s.tun) {
    const t = s.tun;
    out.push(
      `TUN     ${t.packetsIn} packets in (${humanBytes(t.bytesIn)}), ${t.packetsOut} out (${humanBytes(t.bytesOut)}), ` +
        `no route ${t.noRoute}, ICMP sent ${t.icmpSent}, write drops ${t.writeDrops}`,
    );
  }
  if (s.dns) {
    const d = s.dns;
    const st = d.stats;
    out.push(
      `DNS     NAME.${d.suffix} on ${d.listen}${d.listening ? "" : " (not answering: see the log)"}, ` +
        `resolver: ${d.resolver}` +
        (st
          ? `; ${st.queries} queries: ${st.answered} answered, ${st.nodata} no data, ${st.nxdomain} NXDOMAIN, ` +
            `${st.refused} refused, ${st.formerr + st.notimp} malformed or unsupported, ${st.rateLimited} over the rate, ` +
            `${st.notLocal} not from this machine`
          : ""),
    );
  }
  return out.join("\n");
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function renderPrometheus(s: StatusSnapshot): string {
  const lines: string[] = [];
  const node = `node="${esc(s.node.name)}"`;
  const metric = (name: string, type: "gauge" | "counter", help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}{${node}${labels ? `,${labels}` : ""}} ${v}`);
  };
  metric("smolmesh_info", "gauge", "Node identity.", [
    [`version="${esc(s.node.version)}",aes_gcm="${esc(s.node.aesGcm)}"`, 1],
  ]);
  metric("smolmesh_uptime_seconds", "gauge", "Seconds since the node started.", [["", s.node.uptimeS]]);
  metric("smolmesh_resident_memory_bytes", "gauge", "Resident memory of the node process.", [
    ["", s.node.memory.rssBytes],
  ]);
  metric("smolmesh_heap_bytes", "gauge", "JavaScript heap in use.", [["", s.node.memory.heapBytes]]);
  metric("smolmesh_handshakes_pending", "gauge", "Incoming handshakes in progress.", [["", s.handshakes.pending]]);
  metric(
    "smolmesh_handshakes_displaced_total",
    "counter",
    "Pending handshakes closed to make room for a newer connection.",
    [["", s.handshakes.displaced]],
  );
  metric("smolmesh_routes", "gauge", "Known mesh destinations.", [["", s.routes.length]]);
  metric("smolmesh_routes_unreachable", "gauge", "Destinations with no next hop right now.", [
    ["", s.routes.filter((r) => r.nextHop === null).length],
  ]);
  metric("smolmesh_links", "gauge", "Links by state.", [
    ['state="up"', s.links.filter((l) => l.state === "up").length],
    ['state="handshake"', s.links.filter((l) => l.state === "handshake").length],
  ]);
  const per = (f: (l: StatusSnapshot["links"][number]) => number): [string, number][] =>
    s.links.map((l) => [
      `link="${l.id}",peer="${esc(l.peer)}",direction="${l.direction}",protocol="${l.protocol ?? ""}"`,
      f(l),
    ]);
  metric(
    "smolmesh_link_received_bytes_total",
    "counter",
    "Bytes received on a link.",
    per((l) => l.bytesIn),
  );
  metric(
    "smolmesh_link_sent_bytes_total",
    "counter",
    "Bytes sent on a link.",
    per((l) => l.bytesOut),
  );
  metric(
    "smolmesh_link_received_packets_total",
    "counter",
    "Mesh packets received on a link.",
    per((l) => l.packetsIn),
  );
  metric(
    "smolmesh_link_sent_packets_total",
    "counter",
    "Mesh packets queued on a link.",
    per((l) => l.packetsOut),
  );
  metric(
    "smolmesh_link_dropped_packets_total",
    "counter",
    "Packets dropped because the link's queue was full.",
    per((l) => l.dataDropped + l.controlDropped),
  );
  metric(
    "smolmesh_link_up_seconds",
    "gauge",
    "Seconds since the link came up (or since its connection opened, while its handshake runs).",
    per((l) => l.uptimeS),
  );
  metric(
    "smolmesh_link_queued_bytes",
    "gauge",
    "Bytes waiting to be written to a link.",
    per((l) => l.queuedBytes),
  );
  type Keys = NonNullable<StatusSnapshot["links"][number]["keys"]>;
  const perModern = (f: (k: Keys) => number): [string, number][] =>
    s.links.flatMap((l): [string, number][] =>
      l.keys ? [[`link="${l.id}",peer="${esc(l.peer)}",direction="${l.direction}"`, f(l.keys)]] : [],
    );
  metric(
    "smolmesh_link_key_age_seconds",
    "gauge",
    "Age of a modern link's older current key (sending or receiving).",
    perModern((k) => Math.max(k.txAgeS, k.rxAgeS)),
  );
  metric(
    "smolmesh_link_rekeys_total",
    "counter",
    "Keys a modern link replaced, both directions.",
    perModern((k) => k.txRekeys + k.rxRekeys),
  );
  for (const [k, v] of Object.entries(s.router)) {
    if (k === "routes" || k === "floodMemory") continue;
    metric(`smolmesh_router_${snake(k)}_total`, "counter", `Router counter ${k}.`, [["", v]]);
  }
  metric("smolmesh_flood_memory", "gauge", "Floods remembered by the duplicate filter.", [["", s.router.floodMemory]]);
  if (s.tun) {
    for (const [k, v] of Object.entries(s.tun))
      metric(`smolmesh_tun_${snake(k)}_total`, "counter", `TUN counter ${k}.`, [["", v]]);
  }
  const dns = s.dns?.stats;
  if (dns) {
    metric(
      "smolmesh_dns_queries_total",
      "counter",
      "DNS datagrams received, by what became of them (their sum is every datagram).",
      Object.entries(dns)
        .filter(([k]) => k !== "queries" && k !== "sendFailed")
        .map(([k, v]): [string, number] => [`outcome="${snake(k)}"`, v]),
    );
    metric("smolmesh_dns_send_failed_total", "counter", "DNS answers the socket would not take.", [
      ["", dns.sendFailed],
    ]);
  }
  return `${lines.join("\n")}\n`;
}
