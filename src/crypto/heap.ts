/**
 * The one WebAssembly memory smolmesh's cipher modules share with the link
 * buffers, and a small allocator over it. A frame is read from a socket
 * into this memory, decrypted, verified and re-sealed for the next hop
 * without a copy through JS arrays.
 *
 * Blocks come in power-of-two size classes (at least 64 bytes, 16-byte
 * aligned) and are recycled through per-class free lists, so a node that
 * opens and closes links for months does not grow. Growing the memory
 * detaches old views: fetch them with `u8()` / `dv()` after any allocation.
 * Not for concurrent use.
 */
const PAGE = 65536;
const MIN_CLASS = 6; // 64 bytes
const RESERVED = 1024;
const SCRATCH_MIN = 128 * 1024; // address 0 stays unused so a zero pointer is never valid

function sizeClass(size: number): number {
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(`"size" expected a positive integer, got ${size}`);
  }
  return Math.max(MIN_CLASS, Math.ceil(Math.log2(size)));
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = RESERVED;
  private readonly free: number[][] = [];
  private view: Uint8Array;
  private dataView: DataView;
  private scratchPtr = 0;
  private scratchSize = 0;

  constructor(memory = new WebAssembly.Memory({ initial: 16, maximum: 16384 })) {
    this.memory = memory;
    this.view = new Uint8Array(memory.buffer);
    this.dataView = new DataView(memory.buffer);
    // Sized for any hash input on the wire (a 64 KiB payload) up front, so
    // hashing a name while a received frame is being routed never grows
    // the memory under the view that frame is read through.
    this.scratch(SCRATCH_MIN);
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

  /** The address of a zeroed block of at least `size` bytes. */
  alloc(size: number): number {
    const cls = sizeClass(size);
    const reused = this.free[cls]?.pop();
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

  /** Gives back a block from `alloc(size)`. */
  release(addr: number, size: number): void {
    const cls = sizeClass(size);
    let list = this.free[cls];
    if (!list) {
      list = [];
      this.free[cls] = list;
    }
    list.push(addr);
  }

  /** Bytes of linear memory handed out so far (live or on a free list). */
  get used(): number {
    return this.top;
  }

  /** A scratch area of at least `size` bytes, valid until the next scratch use. */
  scratch(size: number): number {
    if (size > this.scratchSize) {
      if (this.scratchSize) this.release(this.scratchPtr, this.scratchSize);
      this.scratchSize = 1 << Math.max(12, Math.ceil(Math.log2(size)));
      this.scratchPtr = this.alloc(this.scratchSize);
    }
    return this.scratchPtr;
  }

  /** Copies the inputs into scratch one after another; returns their addresses. */
  stage(...inputs: Uint8Array[]): number[] {
    const total = inputs.reduce((n, b) => n + b.length, 0);
    let p = this.scratch(total + 32);
    const mem = this.u8();
    return inputs.map((b) => {
      mem.set(b, p);
      const at = p;
      p += b.length;
      return at;
    });
  }
}

let shared: WasmHeap | undefined;

/** The process-wide heap every cipher module and link buffer lives in. */
export function sharedHeap(): WasmHeap {
  shared ??= new WasmHeap();
  return shared;
}
