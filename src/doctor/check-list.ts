/**
 * Runs checks in order and records each with its layer, timing and remedy. Once a check fails,
 * every later layer is recorded as skipped: a TLS verdict means nothing when TCP never connected.
 */
import { remedyFor } from './knowledge-base.js';
import type { Check, Finding, Layer } from './check.js';
import { errorMessage } from '../domain/error-message.js';

export interface CheckProgress {
  (check: { readonly layer: Layer; readonly name: string; readonly channel?: string }): void;
}

export class CheckList {
  readonly checks: Check[] = [];
  private failedLayer: Layer | null = null;

  constructor(
    private readonly onProgress?: CheckProgress,
    /** The channel these checks are about, when a report covers several. */
    private readonly channel?: string,
  ) {}

  /**
   * Runs `look` unless an earlier layer failed; returns its finding, or undefined when skipped.
   * A check that throws is recorded as `<layer>.check_failed`: checks report, they do not crash.
   */
  async run(layer: Layer, name: string, look: () => Promise<Finding> | Finding): Promise<Finding | undefined> {
    if (this.failedLayer !== null && this.failedLayer !== layer) {
      this.push({ layer, name, status: 'skip', code: null, detail: `skipped: the ${this.failedLayer} layer failed`, durationMs: 0, remedy: null });
      return undefined;
    }
    this.onProgress?.({ layer, name, ...(this.channel !== undefined && { channel: this.channel }) });
    const started = performance.now();
    let finding: Finding;
    try {
      finding = await look();
    } catch (error) {
      finding = { status: 'fail', code: `${layer}.check_failed`, detail: errorMessage(error) };
    }
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    if (finding.status === 'fail') this.failedLayer ??= layer;
    const findingCode = finding.code ?? null;
    this.push({ layer, name, status: finding.status, code: findingCode, detail: finding.detail, durationMs, remedy: findingCode ? remedyFor(findingCode) : null });
    return finding;
  }

  private push(check: Check): void {
    this.checks.push(this.channel === undefined ? check : { ...check, channel: this.channel });
  }
}
