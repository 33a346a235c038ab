/**
 * The datagram flows a scenario runs through the simulator (scenario.ts):
 * what they are, how their packets are numbered, and what a part saw of
 * them. Simulation.startFlows sends them; its `delivered` records them.
 */

/** Data packet ids from here on are traffic to a node that will die: their loops are counted apart. */
export const DEAD_END_IDS = 0x8000_0000;

/**
 * Flows the scenario runs (see scenario.ts): every 20 ms from `start` until
 * before `end`, each source sends one datagram; the failure comes at
 * `failAt`. Packet ids are `idBase + round * flows + flow`, and for the
 * flows to the node that dies `DEAD_END_IDS + doomedBase + round * doomed
 * + flow`: the same whichever part sends them.
 */
export interface FlowSpec {
  flows: [number, number][];
  doomed: [number, number][];
  start: number;
  failAt: number;
  end: number;
  idBase: number;
  doomedBase: number;
}

/** Milliseconds between two rounds of a FlowSpec. */
export const ROUND_MS = 20;

/** Rounds of a FlowSpec. */
export function flowRounds(spec: FlowSpec): number {
  return Math.max(0, Math.ceil((spec.end - spec.start) / ROUND_MS));
}

/** What a part saw of the flows: NaN where it saw nothing (another part runs that end). */
export interface FlowResults {
  /** Per flow: ms from the failure until its first packet sent after it arrived. */
  firstAfter: Float64Array;
  /** Per flow to the dead node: ms from the failure until its source said "no route". */
  noRoute: Float64Array;
}

/** IPv6 packet from src to dst carrying a 4-byte id (the simulator's data). */
export function datagram(src: Uint8Array, dst: Uint8Array, id: number): Uint8Array {
  const p = new Uint8Array(44);
  p[0] = 0x60;
  p[5] = 4;
  p[6] = 17;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  new DataView(p.buffer).setUint32(40, id);
  return p;
}
