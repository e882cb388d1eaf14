/**
 * A pool of rendering threads, so that documents never block the API's event loop. Jobs go to
 * the thread with the fewest in flight; a thread that dies is replaced and its jobs fail (the
 * renderer retries them).
 */
import { Worker } from 'node:worker_threads';
import type { IssuedInvoice } from './invoice-xml.js';
import type { RenderJob, RenderReply } from './render-worker.js';

// Run from dist/ the worker is beside this file; run from src/ (the tests, through vitest) it is
// the compiled one in dist/, which `npm test` builds first.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/documents/render-worker.js', import.meta.url)
  : new URL('./render-worker.js', import.meta.url);

/**
 * A render thread's young generation, in MB. V8 gives each thread up to 48 MB of it by default,
 * which a thread that makes one page at a time never needs: capped, the thread held ~25 MB less
 * while the gateway drained 100,000 invoices, with no render rate lost that runs apart from the
 * noise (bench/RESULTS.md, "How cost grows"). Only the young generation: a cap on the old one
 * would end the thread when it is reached.
 */
export const RENDER_THREAD_YOUNG_MB = 8;

/** Threads by default: every core but one, which the API and the dispatcher keep. */
interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (value: { pdf: Buffer; xml: Buffer }) => void; reject: (error: Error) => void }>;
}

export class RenderPool {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private closing = false;

  constructor(
    size: number,
    private readonly keyPem: string,
  ) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  render(issued: IssuedInvoice): Promise<{ pdf: Buffer; xml: Buffer }> {
    const thread = this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, issued } satisfies RenderJob);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private spawn(): Thread {
    const thread: Thread = { worker: new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: RENDER_THREAD_YOUNG_MB } }), pending: new Map() };
    thread.worker.postMessage({ keyPem: this.keyPem });
    thread.worker.on('message', (reply: RenderReply) => {
      const job = thread.pending.get(reply.id);
      if (!job) return;
      thread.pending.delete(reply.id);
      if ('error' in reply) job.reject(new Error(reply.error));
      else job.resolve({ pdf: Buffer.from(reply.pdf), xml: Buffer.from(reply.xml) });
    });
    const fail = (error: Error) => {
      for (const job of thread.pending.values()) job.reject(error);
      thread.pending.clear();
      if (this.closing) return;
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads[index] = this.spawn();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => {
      if (!this.closing) fail(new Error(`render thread exited with ${code}`));
    });
    return thread;
  }
}
