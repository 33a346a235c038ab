/**
 * A WebAssembly instance with a small allocator over its linear memory.
 *
 * Blocks are handed out in power-of-two size classes (minimum 64 bytes,
 * 16-byte aligned) and recycled through per-class free lists, so a node
 * that opens and closes links for months does not grow its memory. Views
 * over the memory are re-created when it grows (growth detaches the old
 * ArrayBuffer); always fetch them with `u8()` / `dv()` after an
 * allocation. Not for concurrent use.
 */
const PAGE = 65536;
const MIN_CLASS = 6; // 64 bytes

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly free: number[][] = [];
  private view: Uint8Array;
  private dataView: DataView;

  /** `base` is the first byte the allocator may hand out. */
  constructor(memory: WebAssembly.Memory, base: number) {
    this.memory = memory;
    this.top = (base + 15) & ~15;
    this.view = new Uint8Array(memory.buffer);
    this.dataView = new DataView(memory.buffer);
  }

  u8(): Uint8Array {
    if (this.view.buffer !== this.memory.buffer) this.refresh();
    return this.view;
  }

  dv(): DataView {
    if (this.dataView.buffer !== this.memory.buffer) this.refresh();
    return this.dataView;
  }

  private refresh(): void {
    this.view = new Uint8Array(this.memory.buffer);
    this.dataView = new DataView(this.memory.buffer);
  }

  /** Returns the address of a zeroed block of at least `size` bytes. */
  alloc(size: number): number {
    if (!Number.isInteger(size) || size <= 0) {
      throw new RangeError(`"size" expected a positive integer, got ${size}`);
    }
    const cls = Math.max(MIN_CLASS, Math.ceil(Math.log2(size)));
    const list = this.free[cls];
    const reused = list?.pop();
    if (reused !== undefined) {
      this.u8().fill(0, reused, reused + (1 << cls));
      return reused;
    }
    const addr = this.top;
    const end = addr + (1 << cls);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return addr;
  }

  /** Returns a block from `alloc(size)` for reuse. */
  release(addr: number, size: number): void {
    const cls = Math.max(MIN_CLASS, Math.ceil(Math.log2(size)));
    let list = this.free[cls];
    if (!list) {
      list = [];
      this.free[cls] = list;
    }
    list.push(addr);
  }

  /** Bytes taken from linear memory so far (live or on a free list). */
  get used(): number {
    return this.top;
  }
}
