export { gimliRef } from "./gimli-ref.ts";
export { GimliWasm, gimli, gimliWasm } from "./gimli-wasm.ts";
export { sharedHeap, WasmHeap } from "./heap.ts";
export { speckRef } from "./speck-ref.ts";
export { SpeckWasm, speck, speckWasm } from "./speck-wasm.ts";
export { FRAME_OVERHEAD, FrameCipher, type LegacySuite, MAX_PAYLOAD } from "./suite.ts";
