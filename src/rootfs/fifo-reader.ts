/**
 * Reads a FIFO off the event loop, for as long as writers come and go, until told to end: the output tap's
 * digest reads the save's tar stream through it while the stage script runs for hours.
 *
 * Why a worker thread with blocking 1 MiB reads: Node has no way to read a FIFO on its event loop (fs reads go
 * through libuv's thread pool one small read at a time: the save took 3.5× its time), and a helper process
 * splicing the FIFO into a pipe that Node reads in 64 KiB slices cost more system time than the digest's hashing.
 * Here one thread reads into a few 1 MiB buffers that travel to the main thread and back (transferred, never
 * copied or reallocated).
 *
 * The reader holds a write end of its own, so that a FIFO nobody has opened yet, or whose writer has closed,
 * reads as "no data yet" rather than end of file; end() closes it, and end of file comes once every other writer
 * has closed too. A thread blocked in read(2) would keep the process from exiting, so ending (or the process
 * exiting) also wakes it with one byte after setting a stop flag it checks after every read.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

const CHUNK = 1 << 20;
const BUFFERS = 4;

/** The worker's program (eval'd, so it travels inside every bundle): read until end of file or the stop flag. */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { fd, stop } = workerData;
const SHORT = ${CHUNK / 2}, PAUSE_MS = 1;
let short = false;
const free = [];
let done = false;
function finish(message) { done = true; parentPort.postMessage(message); parentPort.close(); }
parentPort.on('message', (buffer) => {
  free.push(buffer);
  while (!done && free.length > 0) {
    const buffer = free.pop();
    // After a short read, a pause that lets the writer refill the pipe: a reader faster than its writer would
    // otherwise read (and send) a few KiB at a time.
    if (short) Atomics.wait(stop, 0, 0, PAUSE_MS);
    let bytes;
    try { bytes = readSync(fd, new Uint8Array(buffer), 0, buffer.byteLength, null); } catch (err) { return finish({ error: String(err && err.message || err) }); }
    if (bytes === 0 || Atomics.load(stop, 0) === 1) return finish({ end: true });
    short = bytes < SHORT;
    parentPort.postMessage({ buffer, bytes }, [buffer]);
  }
});
`;

type Message = { buffer: ArrayBuffer; bytes: number } | { end: true } | { error: string };

export interface FifoReader {
  /**
   * No more writers are coming: resolves with the bytes read once the writers still open have closed and their
   * data is read, or after `graceSeconds` with what was read by then (a writer that outlived its job).
   */
  end(graceSeconds?: number): Promise<{ bytes: number; complete: boolean }>;
}

/**
 * Starts reading `fifo` (which must exist). `onChunk` gets the bytes in order on the main thread; the buffer is
 * reused once it returns, so it must copy whatever it keeps.
 */
export function readFifo(fifo: string, onChunk: (chunk: Buffer) => void): FifoReader {
  // Opened in an order that never blocks: a non-blocking read end so that the holder's write end can open, then
  // the blocking read end the thread uses (a writer exists, so it opens at once).
  const probe = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const holder = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const fd = openSync(fifo, constants.O_RDONLY);
  closeSync(probe);
  let holderOpen = true;
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(READER, { eval: true, workerData: { fd, stop } });
  let bytes = 0;
  let failure: Error | undefined;
  const ended = new Promise<void>((resolve) => {
    worker.on('message', (message: Message) => {
      if ('buffer' in message) {
        bytes += message.bytes;
        try {
          onChunk(Buffer.from(message.buffer, 0, message.bytes));
        } catch (err) {
          failure ??= err as Error; // read on to the end all the same: the writer must never block on us
        }
        worker.postMessage(message.buffer, [message.buffer]);
      } else {
        if ('error' in message) failure ??= new Error(`reading ${fifo}: ${message.error}`);
        resolve();
      }
    });
    worker.on('error', (err) => {
      failure ??= err;
      resolve();
    });
    worker.on('exit', () => resolve());
  });
  for (let i = 0; i < BUFFERS; i++) {
    const buffer = new ArrayBuffer(CHUNK);
    worker.postMessage(buffer, [buffer]);
  }
  /** Stops the thread: the flag, then one byte so that a read(2) blocked on an empty pipe returns and sees it. */
  const wake = () => {
    Atomics.store(stop, 0, 1);
    try {
      // Through the holder while it is open, else a write end opened for the purpose (ENXIO: the thread has
      // already closed its read end). EAGAIN: the pipe is full, so the thread is not blocked and sees the flag.
      const writer = holderOpen ? holder : openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(writer, Buffer.alloc(1));
      } finally {
        if (writer !== holder) closeSync(writer);
      }
    } catch {
      /* see above */
    }
  };
  process.on('exit', wake);
  let ending: Promise<{ bytes: number; complete: boolean }> | undefined;
  return {
    end: (graceSeconds = 10) => (ending ??= endReading(graceSeconds)),
  };

  async function endReading(graceSeconds: number): Promise<{ bytes: number; complete: boolean }> {
    closeSync(holder);
    holderOpen = false;
    const timedOut = await Promise.race([ended.then(() => false), delay(graceSeconds * 1000, undefined, { ref: false }).then(() => true)]);
    if (timedOut) {
      wake();
      await ended;
    }
    process.off('exit', wake);
    await worker.terminate();
    closeSync(fd); // here, not in the thread: Node warns when a thread closes a descriptor the main thread opened
    if (failure) throw failure;
    return { bytes, complete: !timedOut };
  }
}
