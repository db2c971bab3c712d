/**
 * Where an app's state and locks live, per model. The app only yields read / write /
 * lock / unlock; what those touch is the model's memory, and that is the lesson:
 *  - one thread (iterative, select, asyncio, reactor): the process's own memory and
 *    cooperative locks (LocalWorld, memory 'process');
 *  - a thread per connection: each worker thread is its own V8 isolate, so state lives
 *    in a SharedArrayBuffer and the lock is a futex-style mutex on it (SharedWorld);
 *  - a forked child per connection: the child's own copy (LocalWorld, memory 'copy').
 */

export type Memory = 'process' | 'shared' | 'copy'

export interface SharedState {
  readonly memory: Memory
  /** The value under key; a key never written reads as 0 (the seed's `people[name] = 0`). */
  read(key: string): number
  write(key: string, value: number): void
}

export interface Mutex {
  /** Take the lock if it is free, without waiting. */
  tryAcquire(): boolean
  release(): void
}

/** A lock a single-threaded loop waits on without blocking its thread (asyncio.Lock, DeferredLock). */
export interface AsyncMutex extends Mutex {
  /** Queue for the lock: `granted` resolves once it is ours; `cancel` leaves the queue. */
  acquire(): { granted: Promise<void>; cancel(): void }
}

/** A lock a thread waits on by sleeping in the kernel (threading.Lock). */
export interface BlockingMutex extends Mutex {
  acquireBlocking(): void
}

export interface World<M extends Mutex> {
  state: SharedState
  mutex(name: string): M
}

/** A lock for one thread's handlers: granted in queue order, handed straight to the next waiter. */
export class LocalMutex implements AsyncMutex {
  private held = false
  private readonly waiters: Array<() => void> = []

  tryAcquire(): boolean {
    if (this.held) return false
    this.held = true
    return true
  }

  acquire(): { granted: Promise<void>; cancel(): void } {
    if (this.tryAcquire()) return { granted: Promise.resolve(), cancel: () => {} }
    let grant!: () => void
    const granted = new Promise<void>((resolve) => (grant = resolve))
    this.waiters.push(grant)
    return {
      granted,
      cancel: () => {
        const at = this.waiters.indexOf(grant)
        if (at >= 0) this.waiters.splice(at, 1)
        // Granted already, but nobody will use it: pass it on.
        else this.release()
      },
    }
  }

  release(): void {
    const next = this.waiters.shift()
    if (next) next()
    else this.held = false
  }
}

export class LocalWorld implements World<LocalMutex> {
  readonly state: SharedState
  private readonly mutexes = new Map<string, LocalMutex>()

  constructor(memory: 'process' | 'copy') {
    const values = new Map<string, number>()
    this.state = {
      memory,
      read: (key) => values.get(key) ?? 0,
      write: (key, value) => void values.set(key, value),
    }
  }

  mutex(name: string): LocalMutex {
    let mutex = this.mutexes.get(name)
    if (!mutex) this.mutexes.set(name, (mutex = new LocalMutex()))
    return mutex
  }
}

/*
 * Shared memory layout (Int32 words): a small header, then fixed slots, each holding one
 * named 32-bit word (a balance, or a lock's state) and its UTF-8 name. Slots are only
 * ever appended, under the directory lock, and published by bumping the count, so
 * finding an existing name needs no lock. State names and lock names live in the same
 * table, told apart by their first byte.
 */
const DIRECTORY_LOCK = 0
const COUNT = 1
const HEADER_WORDS = 4
/** A bank name's key is at most 60 bytes of the client's, each at most 4 as text (`\xff`), and a prefix. */
const NAME_BYTES = 256
const SLOT_WORDS = 2 + NAME_BYTES / 4
const SLOTS = 1024
const STATE_PREFIX = 's'
const LOCK_PREFIX = 'l'

export function createSharedMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER_WORDS + SLOTS * SLOT_WORDS) * 4)
}

/**
 * Ulrich Drepper's futex mutex ("Futexes Are Tricky", mutex2): 0 free, 1 held, 2 held
 * with waiters. A waiting thread sleeps in Atomics.wait (a futex wait in the kernel), and
 * release wakes one only if someone may be waiting.
 */
export class SharedMutex implements BlockingMutex {
  private readonly words: Int32Array
  private readonly index: number

  constructor(words: Int32Array, index: number) {
    this.words = words
    this.index = index
  }

  tryAcquire(): boolean {
    return Atomics.compareExchange(this.words, this.index, 0, 1) === 0
  }

  acquireBlocking(): void {
    let c = Atomics.compareExchange(this.words, this.index, 0, 1)
    if (c === 0) return
    if (c !== 2) c = Atomics.exchange(this.words, this.index, 2)
    while (c !== 0) {
      Atomics.wait(this.words, this.index, 2)
      c = Atomics.exchange(this.words, this.index, 2)
    }
  }

  release(): void {
    if (Atomics.sub(this.words, this.index, 1) !== 1) {
      Atomics.store(this.words, this.index, 0)
      Atomics.notify(this.words, this.index, 1)
    }
  }
}

export class SharedWorld implements World<SharedMutex> {
  readonly state: SharedState
  private readonly words: Int32Array
  private readonly bytes: Uint8Array
  private readonly directory: SharedMutex
  /** Slot of each name this thread has looked up: slots never move. */
  private readonly slots = new Map<string, number>()
  private readonly mutexes = new Map<string, SharedMutex>()

  constructor(memory: SharedArrayBuffer) {
    this.words = new Int32Array(memory)
    this.bytes = new Uint8Array(memory)
    this.directory = new SharedMutex(this.words, DIRECTORY_LOCK)
    this.state = {
      memory: 'shared',
      // Two separate atomic operations, not one read-modify-write: the race between them is the app's.
      read: (key) => Atomics.load(this.words, this.word(STATE_PREFIX + key)),
      write: (key, value) => Atomics.store(this.words, this.word(STATE_PREFIX + key), value),
    }
  }

  mutex(name: string): SharedMutex {
    let mutex = this.mutexes.get(name)
    if (!mutex) this.mutexes.set(name, (mutex = new SharedMutex(this.words, this.word(LOCK_PREFIX + name))))
    return mutex
  }

  /** Index of the word for `name`, creating its slot (at 0) the first time any thread asks. */
  private word(name: string): number {
    const known = this.slots.get(name)
    if (known !== undefined) return known
    const encoded = Buffer.from(name, 'utf8')
    if (encoded.byteLength > NAME_BYTES)
      throw Object.assign(new Error(`the name '${name.slice(1, 20)}…' is too long for shared memory`), { code: 'STATE_FULL' })
    let slot = this.find(encoded)
    if (slot < 0) {
      this.directory.acquireBlocking()
      try {
        const count = Atomics.load(this.words, COUNT)
        slot = this.find(encoded)
        if (slot < 0) {
          if (count >= SLOTS) throw Object.assign(new Error(`shared memory holds at most ${SLOTS} names`), { code: 'STATE_FULL' })
          const base = HEADER_WORDS + count * SLOT_WORDS
          this.bytes.set(encoded, (base + 2) * 4)
          this.words[base] = encoded.byteLength
          Atomics.store(this.words, base + 1, 0)
          Atomics.store(this.words, COUNT, count + 1)
          slot = count
        }
      } finally {
        this.directory.release()
      }
    }
    const index = HEADER_WORDS + slot * SLOT_WORDS + 1
    this.slots.set(name, index)
    return index
  }

  private find(encoded: Uint8Array): number {
    const count = Atomics.load(this.words, COUNT)
    for (let slot = 0; slot < count; slot++) {
      const base = HEADER_WORDS + slot * SLOT_WORDS
      if (this.words[base] !== encoded.byteLength) continue
      const start = (base + 2) * 4
      if (Buffer.compare(this.bytes.subarray(start, start + encoded.byteLength), encoded) === 0) return slot
    }
    return -1
  }
}
