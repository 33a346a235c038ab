export { speckRef } from "./speck-ref.ts";
export { SpeckWasm, speck, speckWasm, WasmFrameCipher } from "./speck-wasm.ts";
export { FRAME_OVERHEAD, type FrameCipher, type LegacySuite, MAX_PAYLOAD } from "./suite.ts";
