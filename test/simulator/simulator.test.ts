// The simulator speaks the reference protocol of shared/api.md, keeps a durable ledger, and
// injects each fault it is asked for.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, updateFaults } from '../../src/simulator/faults.js';
import { invoiceNumber, SimulatorLedger } from '../../src/simulator/simulator-ledger.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { startFapiao } from '../support/processes.js';

let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function start(options: { dedup?: boolean; dataDir?: string } = {}) {
  simulator = await startSimulator({
    dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'fapiao-sim-')),
    port: 0,
    host: '127.0.0.1',
    dedup: options.dedup ?? true,
    faults: NO_FAULTS,
  });
  return simulator;
}

const submission = (serialNo: string, orderNo = 'SO-1') => ({ serialNo, sellerTaxId: '91330106MA2B0Y5R34', orderNo, total: '1060.00', invoice: {} });

async function call(url: string, method: 'GET' | 'POST' | 'PUT', body?: unknown) {
  const response = await request(url, {
    method,
    ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('simulator: reference protocol', () => {
  it('accepts, then answers the query with a 20-digit number', async () => {
    const sim = await start();
    expect(await call(`${sim.url}/api/v1/invoices`, 'POST', submission('S1'))).toMatchObject({ status: 202, json: { serialNo: 'S1', status: 'processing' } });
    const { json } = await call(`${sim.url}/api/v1/invoices/S1`, 'GET');
    expect(json).toMatchObject({ serialNo: 'S1', status: 'issued' });
    expect(json?.number).toMatch(/^\d{2}332\d{15}$/);
    expect((await call(`${sim.url}/api/v1/invoices/NOPE`, 'GET')).status).toBe(404);
  });

  it('deduplicates a repeated serial number, unless started without dedup', async () => {
    const sim = await start();
    await call(`${sim.url}/api/v1/invoices`, 'POST', submission('S1'));
    const again = await call(`${sim.url}/api/v1/invoices`, 'POST', submission('S1'));
    expect(again.json).toMatchObject({ status: 'issued' });
    expect(sim.ledger.issued(Date.now())).toHaveLength(1);
    await sim.close();
    const careless = await start({ dedup: false });
    await call(`${careless.url}/api/v1/invoices`, 'POST', submission('S1'));
    await call(`${careless.url}/api/v1/invoices`, 'POST', submission('S1'));
    const ledger = (await call(`${careless.url}/_admin/ledger`, 'GET')).json as unknown as unknown[];
    expect(ledger).toHaveLength(2);
  });

  it('keeps its ledger across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-sim-'));
    const first = await start({ dataDir });
    await call(`${first.url}/api/v1/invoices`, 'POST', submission('S1'));
    await first.close();
    const second = await start({ dataDir });
    expect((await call(`${second.url}/api/v1/invoices/S1`, 'GET')).json).toMatchObject({ status: 'issued' });
  });

  it('lists a day of issued invoices and refuses a bad date', async () => {
    const sim = await start();
    await call(`${sim.url}/api/v1/invoices`, 'POST', submission('S1'));
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    expect(((await call(`${sim.url}/api/v1/invoices?date=${today}`, 'GET')).json?.invoices as unknown[]).length).toBe(1);
    expect((await call(`${sim.url}/api/v1/invoices?date=yesterday`, 'GET')).status).toBe(400);
  });

  it('refuses a submission without its required fields', async () => {
    const sim = await start();
    expect((await call(`${sim.url}/api/v1/invoices`, 'POST', { serialNo: 'S1' })).status).toBe(400);
  });
});

describe('simulator: faults', () => {
  it('answers 503 at the error rate and during an outage, 429 past the rate limit', async () => {
    const sim = await start();
    sim.setFaults({ errorRate: 1 });
    expect((await call(`${sim.url}/api/v1/ping`, 'GET')).status).toBe(503);
    sim.setFaults({ errorRate: 0, outageUntil: Date.now() + 60_000 });
    const outage = await call(`${sim.url}/api/v1/ping`, 'GET');
    expect(outage.status).toBe(503);
    expect(Number(outage.headers['retry-after'])).toBeGreaterThan(50);
    sim.setFaults({ outageUntil: 0, rateLimit: 2 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(`${sim.url}/api/v1/ping`, 'GET')).status);
    expect(statuses).toContain(429);
    expect((await call(`${sim.url}/_admin/ledger`, 'GET')).status).toBe(200);
  });

  it('resets the connection, before or after the work', async () => {
    const sim = await start();
    sim.setFaults({ resetRate: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => call(`${sim.url}/api/v1/invoices`, 'POST', submission(`S${i}`))));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const recorded = sim.ledger.issued(Date.now()).length;
    // Half the resets come after the invoice was recorded: the caller cannot know which.
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThan(20);
  });

  it('commits and then never answers at the drop-response rate', async () => {
    const sim = await start();
    sim.setFaults({ dropResponseRate: 1 });
    const dropped = request(`${sim.url}/api/v1/invoices`, { method: 'POST', body: JSON.stringify(submission('S1')), headers: { 'content-type': 'application/json' }, headersTimeout: 500 });
    await expect(dropped).rejects.toThrow();
    expect(sim.ledger.find('S1')).toBeDefined();
  });

  it('keeps an invoice processing for the processing time, and rejects at the reject rate', async () => {
    const sim = await start();
    sim.setFaults({ processingMs: 60_000 });
    await call(`${sim.url}/api/v1/invoices`, 'POST', submission('S1'));
    expect((await call(`${sim.url}/api/v1/invoices/S1`, 'GET')).json).toMatchObject({ status: 'processing', number: null });
    sim.setFaults({ processingMs: 0, rejectRate: 1 });
    await call(`${sim.url}/api/v1/invoices`, 'POST', submission('S2'));
    expect((await call(`${sim.url}/api/v1/invoices/S2`, 'GET')).json).toMatchObject({ status: 'rejected' });
  });

  it('shifts its Date header by the clock skew', async () => {
    const sim = await start();
    sim.setFaults({ clockSkewSeconds: 600 });
    const { headers } = await call(`${sim.url}/api/v1/ping`, 'GET');
    expect(Date.parse(String(headers.date)) - Date.now()).toBeGreaterThan(590_000);
  });

  it('takes fault changes at run time and refuses bad ones', async () => {
    const sim = await start();
    expect((await call(`${sim.url}/_admin/faults`, 'PUT', { errorRate: 1 })).json).toMatchObject({ errorRate: 1 });
    expect((await call(`${sim.url}/api/v1/ping`, 'GET')).status).toBe(503);
    expect((await call(`${sim.url}/_admin/faults`, 'PUT', { errorRate: 2 })).status).toBe(400);
    expect((await call(`${sim.url}/_admin/faults`, 'PUT', { nonsense: 1 })).status).toBe(400);
    expect(updateFaults(NO_FAULTS, { outageSeconds: 30 }, 1000)).toEqual({ ok: true, faults: { ...NO_FAULTS, outageUntil: 31_000 } });
  });
});

describe('fapiao simulator (the command)', () => {
  it('starts with fault flags and without dedup', async () => {
    const data = mkdtempSync(join(tmpdir(), 'fapiao-sim-'));
    const sim = await startFapiao(['simulator', '--port', '0', '--data', data, '--no-dedup', '--error-rate', '0.25', '--latency-ms', '5']);
    const faults = (await call(`${sim.url}/_admin/faults`, 'GET')).json;
    expect(faults).toMatchObject({ errorRate: 0.25, latencyMs: 5 });
    await sim.kill();
  });

  it('refuses a rate above 1', async () => {
    await expect(startFapiao(['simulator', '--port', '0', '--error-rate', '1.5'])).rejects.toThrow(/--error-rate 1.5/);
  });
});

describe('invoice numbers', () => {
  it('read year, province and sequence (domain.md decision 6)', () => {
    expect(invoiceNumber('91330106MA2B0Y5R34', Date.parse('2026-11-22T10:00:00+08:00'), 42)).toBe('26332000000000000042');
    // Beijing time decides the year: 2026-12-31 23:30 UTC is already 2027 in Beijing.
    expect(invoiceNumber('91440300708461136T', Date.parse('2026-12-31T23:30:00Z'), 1)).toBe('27442000000000000001');
    // The ledger's issuer code leads the sequence.
    expect(invoiceNumber('91330106MA2B0Y5R34', Date.parse('2026-11-22T10:00:00+08:00'), 42, 731)).toBe('26332073100000000042');
  });

  it('differ between two simulators: each ledger draws its issuer code once and keeps it', () => {
    const dirs = Array.from({ length: 20 }, () => mkdtempSync(join(tmpdir(), 'fapiao-ledger-')));
    const issuers = dirs.map((dir) => {
      const ledger = new SimulatorLedger(dir);
      const issuer = ledger.issuer;
      ledger.close();
      return issuer;
    });
    for (const issuer of issuers) expect(issuer).toBeGreaterThanOrEqual(1);
    // Twenty ledgers drawing from 9,999 codes: all but a few distinct (the same code twice is 2 % likely, three times never seen).
    expect(new Set(issuers).size).toBeGreaterThanOrEqual(18);
    const again = new SimulatorLedger(dirs[0]!);
    expect(again.issuer).toBe(issuers[0]);
    again.close();
  });
});
