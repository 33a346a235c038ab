/**
 * `bun test/sim/failover-study.ts [--nodes 80] [--seeds 11-22]`: the
 * failover experiments of the standard run (a link fails, then a relay
 * dies) over many seeds and all four topologies, summed: how routing
 * changes compare beyond one seed. The router change of 2026-11-22 (cut
 * exactly the hop a returning packet took; demote a neighbour that sends
 * us the destination's traffic) was judged with it.
 */
import { parseArgs } from "node:util";
import { runScenario } from "./scenario.ts";
import { TOPOLOGIES } from "./topology.ts";

const { values } = parseArgs({
  options: { nodes: { type: "string", default: "80" }, seeds: { type: "string", default: "11-22" } },
});
const nodes = Number(values.nodes);
const [first, last] = (values.seeds ?? "").split("-").map(Number) as [number, number];
if (!(nodes >= 10) || !(first >= 0) || !(last >= first)) {
  console.error("failover-study: --nodes N (>= 10) --seeds FIRST-LAST");
  process.exit(2);
}
let flows = 0;
let recoveredMs = 0;
let slow = 0;
let experiments = 0;
let dark = 0;
let loops = 0;
let worst = 0;
for (const topology of TOPOLOGIES) {
  for (let seed = first; seed <= last; seed++) {
    const r = await runScenario({ nodes, topology, degree: 4, seed, seconds: 30 });
    for (const f of [r.linkFailover, r.failover]) {
      if (!f) continue;
      experiments++;
      flows += f.flows;
      recoveredMs += f.meanMs * (f.flows - f.blackholed - f.partitioned);
      dark += f.blackholed;
      worst = Math.max(worst, f.maxMs);
      if (f.maxMs > 1000) slow++;
    }
    loops += r.dataLoops;
  }
}
console.log(
  `${nodes} nodes, seeds ${first}-${last}, ${TOPOLOGIES.length} topologies: ${experiments} experiments, ${flows} flows; ` +
    `mean recovery ${(recoveredMs / flows).toFixed(0)} ms, worst ${worst.toFixed(0)} ms; ` +
    `experiments with a flow dark > 1 s: ${slow}; flows never recovered: ${dark}; data packets seen twice: ${loops}`,
);
