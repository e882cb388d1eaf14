// The render threads: documents made off the API's event loop, each thread's young generation
// capped (memory, bench/RESULTS.md "How cost grows"), and a thread that dies replaced.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { RENDER_THREAD_YOUNG_MB, RenderPool } from '../../src/documents/render-pool.js';
import { validRequest } from '../support/invoice-request.js';
import { issued } from '../support/issued-invoice.js';

const keyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const threadsOf = (pool: RenderPool) => (pool as unknown as { threads: Array<{ worker: Worker }> }).threads;

describe('the render pool', () => {
  it('renders in threads whose young generation is capped, and replaces a thread that dies', async () => {
    const pool = new RenderPool(2, keyPem);
    try {
      const document = { ...issued(validRequest()), simulated: true };
      const first = await pool.render(document);
      expect(first.pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(first.xml.toString()).toContain(document.number);
      for (const { worker } of threadsOf(pool)) expect(worker.resourceLimits?.maxYoungGenerationSizeMb).toBe(RENDER_THREAD_YOUNG_MB);

      const dying = threadsOf(pool)[0]!.worker;
      await dying.terminate();
      await expect.poll(() => threadsOf(pool)[0]!.worker).not.toBe(dying);
      const again = await Promise.all([pool.render(document), pool.render(document)]);
      for (const result of again) expect(result.pdf.subarray(0, 5).toString()).toBe('%PDF-');
      for (const { worker } of threadsOf(pool)) expect(worker.resourceLimits?.maxYoungGenerationSizeMb).toBe(RENDER_THREAD_YOUNG_MB);
    } finally {
      await pool.close();
    }
  });
});
