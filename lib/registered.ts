// Registered files and buffers of a ring (IORING_REGISTER_FILES / _BUFFERS).
// A registered file is a slot of the ring's file table holding its own
// reference to the file: ops naming it skip the kernel's fd lookup
// (IOSQE_FIXED_FILE). A registered buffer is pinned once, so reads and
// writes inside it (READ_FIXED / WRITE_FIXED) skip pinning its pages per op.
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';
import { isArrayBufferView } from './validate.js';

type View = NodeJS.ArrayBufferView;

/** The kernel's limits: IORING_MAX_REG_BUFFERS, and 1 GiB per buffer. */
export const MAX_REGISTERED_BUFFERS = 16384;
const MAX_BUFFER_BYTES = 2 ** 30;

/**
 * A file registered with one ring by {@link Ring.registerFile}: pass it in place of an fd to the
 * ops of that ring's batches (`read`, `write`, `readv`, `writev`, `fsync`, `fdatasync`), which then
 * name the file by its slot in the ring's table (IOSQE_FIXED_FILE) instead of by fd.
 *
 * The slot holds its own reference to the file (on the thread pool: a `dup` of the fd), so closing
 * the fd it was made from does not affect it, and the fd may be closed right after registering.
 * `unregister()` frees the slot: ops issued before it still run on the file, ops issued after it
 * fail with `EBADF`. Closing the ring unregisters every file.
 */
export class RegisteredFile {
  #slot: number;
  /** Ops issued on the slot and not yet completed. */
  #pending = 0;
  /** Empties the slot; null once unregistered. */
  #release: ((slot: number) => void) | null;
  /** Set by unregister() while ops are pending: the last one to complete empties the slot. */
  #releaseLater: ((slot: number) => void) | null = null;

  readonly #ring: object;

  /** @internal Made by Ring.registerFile. */
  constructor(ring: object, slot: number, release: (slot: number) => void) {
    this.#ring = ring;
    this.#slot = slot;
    this.#release = release;
  }

  /** @internal Whether this is a file of `ring`'s table. */
  belongsTo(ring: object): boolean {
    return this.#ring === ring;
  }

  /** The slot in the ring's table of registered files, or -1 once unregistered. */
  get index(): number {
    return this.#release === null ? -1 : this.#slot;
  }

  /** False once `unregister()` was called or the ring was closed. */
  get registered(): boolean {
    return this.#release !== null;
  }

  /**
   * Free the slot. Ops issued before this still run on the file (the slot is emptied when the
   * last of them completes); ops issued after it fail with `EBADF`. Calling it again does nothing.
   */
  unregister(): void {
    if (this.#release === null) return;
    const release = this.#release;
    this.#release = null;
    if (this.#pending === 0) release(this.#slot);
    else this.#releaseLater = release;
  }

  /** @internal The slot for an op issued now, or -1 when unregistered (the op fails with EBADF). */
  acquire(): number {
    if (this.#release === null) return -1;
    this.#pending++;
    return this.#slot;
  }

  /** @internal An op that acquired the slot completed. */
  settle(): void {
    if (--this.#pending === 0 && this.#releaseLater !== null) {
      const release = this.#releaseLater;
      this.#releaseLater = null;
      release(this.#slot);
    }
  }

  /** @internal The ring was closed: its table is gone. */
  forget(): void {
    this.#release = null;
    this.#releaseLater = null;
  }
}

/** The buffers registered with a ring, found by the ArrayBuffer a view lies in. */
export class RegisteredBuffers {
  /** In registration order: the index is the kernel's buf_index. */
  readonly views: View[];
  readonly #byBuffer = new Map<ArrayBufferLike, { index: number; start: number; end: number }[]>();

  constructor(buffers: unknown) {
    if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'Array', buffers);
    if (buffers.length === 0 || buffers.length > MAX_REGISTERED_BUFFERS) {
      throw outOfRange('buffers.length', `>= 1 && <= ${MAX_REGISTERED_BUFFERS}`, buffers.length);
    }
    this.views = buffers.map((view, index) => {
      const name = `buffers[${index}]`;
      if (!isArrayBufferView(view)) throw invalidArgType(name, ['Buffer', 'TypedArray', 'DataView'], view);
      if (view.byteLength === 0) throw invalidArgValue(name, view, 'must not be empty');
      // Shrinking a resizable ArrayBuffer gives its tail's pages back: grown again, it has new
      // pages at the same addresses, and a READ_FIXED would fill the old, pinned ones.
      if ((view.buffer as { resizable?: boolean }).resizable === true) {
        throw invalidArgValue(name, view, 'must not be a view of a resizable ArrayBuffer');
      }
      if (view.byteLength > MAX_BUFFER_BYTES) throw outOfRange(`${name}.byteLength`, `<= ${MAX_BUFFER_BYTES}`, view.byteLength);
      const range = { index, start: view.byteOffset, end: view.byteOffset + view.byteLength };
      const list = this.#byBuffer.get(view.buffer);
      if (list) list.push(range);
      else this.#byBuffer.set(view.buffer, [range]);
      return view;
    });
  }

  /** The index of a registered buffer holding bytes [offset, offset + length) of `view`, or -1. */
  indexOf(view: View, offset: number, length: number): number {
    const list = this.#byBuffer.get(view.buffer);
    if (list === undefined) return -1;
    const start = view.byteOffset + offset;
    const end = start + length;
    for (const r of list) if (start >= r.start && end <= r.end) return r.index;
    return -1;
  }
}
