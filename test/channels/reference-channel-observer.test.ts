// The reference channel reports, for metrics, how long name resolution, connecting (TCP and TLS)
// and the first byte took, and when the upstream's TLS certificate expires — measured on a real
// HTTPS simulator with a certificate made here, valid for ten days.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceChannel, type UpstreamObserver } from '../../src/channels/reference/reference-channel.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { createTestCa, days } from '../support/certificates.js';

const dir = mkdtempSync(join(tmpdir(), 'fapiao-tls-'));
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '10',
  '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
], { stdio: 'ignore' });
const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
let simulator: RunningSimulator | undefined;
afterAll(async () => simulator?.close());

describe('reference channel observations', () => {
  it('reports dns, connect and first-byte times and the certificate expiry of a TLS upstream', async () => {
    simulator = await startSimulator({ dataDir: join(dir, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
    const port = new URL(simulator.url).port;
    const phases: string[] = [];
    const expiries: number[] = [];
    const observer: UpstreamObserver = {
      phase: (kind, phase, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        phases.push(`${kind}:${phase}`);
      },
      certificate: (expiresAt) => expiries.push(expiresAt),
    };
    const channel = new ReferenceChannel({ name: 'tls', url: `https://localhost:${port}`, connectTimeoutMs: 2000, responseTimeoutMs: 2000, pollAfterMs: 10, ca: cert, observer });
    const outcome = await channel.issue(
      { serialNo: 'S1', sellerTaxId: '91330106MA2B0Y5R34', orderNo: 'O1', invoice: { totals: { total: '1.00' } } as never },
      { signal: AbortSignal.timeout(5000) },
    );
    expect(outcome).toEqual({ kind: 'accepted', pollAfterMs: 10 });
    await channel.query('91330106MA2B0Y5R34', 'S1', { signal: AbortSignal.timeout(5000) });
    await channel.close();
    expect(phases).toEqual(expect.arrayContaining(['connection:dns', 'connection:connect', 'submit:first_byte', 'query:first_byte']));
    // A full handshake reports the certificate; a resumed TLS session shows none (the gauge keeps
    // the last value), so at least one reading and never more than one per connection.
    const connections = phases.filter((p) => p === 'connection:connect').length;
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(expiries.length).toBeGreaterThanOrEqual(1);
    expect(expiries.length).toBeLessThanOrEqual(connections);
    const days = (expiries[0]! - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThan(11);
  });

  it('reports the expiry of a certificate that has already expired, though the call fails on it', async () => {
    const ca = createTestCa();
    const expiredAt = Date.now() - days(2);
    const leaf = ca.issue(['localhost', '127.0.0.1'], { from: Date.now() - days(30), to: expiredAt });
    const expired = await startSimulator({ dataDir: join(dir, 'sim-expired'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, tls: leaf });
    const expiries: number[] = [];
    const channel = new ReferenceChannel({
      name: 'expired',
      url: `https://localhost:${new URL(expired.url).port}`,
      connectTimeoutMs: 2000,
      responseTimeoutMs: 2000,
      pollAfterMs: 10,
      ca: ca.cert,
      observer: { phase: () => undefined, certificate: (expiresAt) => expiries.push(expiresAt) },
    });
    const call = channel.issue({ serialNo: 'S3', sellerTaxId: '91330106MA2B0Y5R34', orderNo: 'O3', invoice: { totals: { total: '1.00' } } as never }, { signal: AbortSignal.timeout(5000) });
    await expect(call).rejects.toMatchObject({ code: 'tls_failed', disposition: 'retry' });
    const deadline = Date.now() + 3000;
    while (expiries.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await channel.close();
    await expired.close();
    expect(expiries).toHaveLength(1);
    expect(Math.abs(expiries[0]! - expiredAt)).toBeLessThan(2000);
  });

  it('says the simulator issued it: a simulated invoice', async () => {
    // (covered end to end in the documents tests; here the outcome of a query carries the flag)
    const sim = await startSimulator({ dataDir: join(dir, 'sim2'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
    const channel = new ReferenceChannel({ name: 'sim', url: sim.url, connectTimeoutMs: 1000, responseTimeoutMs: 1000, pollAfterMs: 10 });
    await channel.issue({ serialNo: 'S2', sellerTaxId: '91330106MA2B0Y5R34', orderNo: 'O2', invoice: { totals: { total: '1.00' } } as never }, { signal: AbortSignal.timeout(3000) });
    expect(await channel.query('91330106MA2B0Y5R34', 'S2', { signal: AbortSignal.timeout(3000) })).toMatchObject({ kind: 'issued', simulated: true });
    await channel.close();
    await sim.close();
  });
});
