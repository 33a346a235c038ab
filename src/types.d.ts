// Assets embedded by `bun build --compile`: importing one gives its path,
// which Bun's fs can read both from the source tree and inside the binary.
declare module "*.wasm" {
  const path: string;
  export default path;
}
