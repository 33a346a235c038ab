/**
 * A bulk TCP transfer for data-plane tests, run inside a namespace:
 *   bun tcp-blast.ts serve HOST PORT          prints {"bytes":N,"sha256":"..."} when the sender closes
 *   bun tcp-blast.ts send HOST PORT BYTES     sends BYTES random bytes, prints the same
 * The server prints "listening" first so the test can wait for it.
 */
import { createHash } from "node:crypto";
import net from "node:net";

const [mode, host, portText, bytesText] = process.argv.slice(2);
const port = Number(portText);

if (mode === "serve") {
  const server = net.createServer((sock) => {
    const h = createHash("sha256");
    let n = 0;
    sock.on("data", (d) => {
      h.update(d);
      n += d.length;
    });
    sock.on("end", () => {
      console.log(JSON.stringify({ bytes: n, sha256: h.digest("hex") }));
      server.close();
      process.exit(0);
    });
  });
  server.listen(port, host, () => console.log("listening"));
} else if (mode === "send") {
  const total = Number(bytesText);
  const h = createHash("sha256");
  const sock = net.connect(port, host as string);
  let sent = 0;
  const chunk = 256 * 1024;
  const pump = () => {
    while (sent < total) {
      const part = crypto.getRandomValues(new Uint8Array(Math.min(chunk, total - sent)));
      h.update(part);
      sent += part.length;
      if (!sock.write(part)) {
        sock.once("drain", pump);
        return;
      }
    }
    sock.end(() => {
      console.log(JSON.stringify({ bytes: sent, sha256: h.digest("hex") }));
      process.exit(0);
    });
  };
  sock.on("connect", pump);
  sock.on("error", (e) => {
    console.error(e.message);
    process.exit(1);
  });
} else {
  console.error("usage: tcp-blast.ts serve HOST PORT | send HOST PORT BYTES");
  process.exit(2);
}
