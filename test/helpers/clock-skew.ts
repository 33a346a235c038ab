/**
 * Preloaded into a node under test (`bun --preload`, NodeProc's `preload`):
 * each SIGUSR2 moves the node's wall clock (Date.now, which the node reads
 * for mesh time) forward by SMOLMESH_TEST_CLOCK_STEP_MS, and says so on
 * stderr. A test uses it to let three minutes pass for one node at once,
 * for what only happens after them (routes expiring); the node's monotonic
 * clock (timers, link timeouts) is left alone.
 */
const step = Number(process.env.SMOLMESH_TEST_CLOCK_STEP_MS);
if (!(step > 0)) throw new Error("clock-skew.ts: set SMOLMESH_TEST_CLOCK_STEP_MS to a positive number of ms");
const realNow = Date.now;
let skew = 0;
Date.now = () => realNow() + skew;
process.on("SIGUSR2", () => {
  skew += step;
  process.stderr.write(`clock-skew: wall clock moved forward, now +${skew} ms\n`);
});
