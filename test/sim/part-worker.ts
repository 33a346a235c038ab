/** A worker running one part of a parallel simulation (see parallel.ts). */
import { serveWorker } from "./parallel.ts";

declare const self: { onmessage: unknown; postMessage(m: unknown): void };
serveWorker(self);
