/**
 * 诺诺's access token (client_credentials): 诺诺 allows 50 token calls in 30 days, so a token is
 * fetched only when none is kept or the one kept was refused, and it is kept where every gateway
 * process and every restart finds it (a TokenShelf, the database in a running gateway). Concurrent
 * callers share one fetch.
 */
import { request, type Dispatcher } from 'undici';
import { ChannelError } from '../channel-error.js';
import { retryAfterMs, transportError } from '../transport-error.js';

import type { KeptToken, TokenShelf } from '../token-shelf.js';

export interface NuonuoTokenConfig {
  readonly channel: string;
  readonly tokenUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly shelf: TokenShelf;
  readonly dispatcher: Dispatcher;
  readonly now: () => number;
}

// A token this close to its expiry is not used: a call could outlive it.
const EXPIRY_MARGIN_MS = 5 * 60_000;

export class NuonuoTokens {
  private kept: KeptToken | undefined;
  private fetching: Promise<string> | undefined;

  constructor(private readonly config: NuonuoTokenConfig) {}

  /** A token to send now: the one kept, or a new one when none is kept or it has expired. */
  async current(signal: AbortSignal): Promise<string> {
    if (this.usable(this.kept)) return this.kept.token;
    const shelved = await this.config.shelf.read(this.config.channel);
    if (this.usable(shelved)) {
      this.kept = shelved;
      return shelved.token;
    }
    return this.fetch(signal);
  }

  /** 诺诺 refused `refused`: fetch a new token, unless another caller already has. */
  async renew(refused: string, signal: AbortSignal): Promise<string> {
    const shelved = await this.config.shelf.read(this.config.channel);
    if (shelved && shelved.token !== refused && this.usable(shelved)) {
      this.kept = shelved;
      return shelved.token;
    }
    if (this.kept?.token === refused) this.kept = undefined;
    return this.fetch(signal);
  }

  private usable(token: KeptToken | undefined): token is KeptToken {
    return token !== undefined && token.expiresAt - EXPIRY_MARGIN_MS > this.config.now();
  }

  private fetch(signal: AbortSignal): Promise<string> {
    this.fetching ??= this.fetchOnce(signal).finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchOnce(signal: AbortSignal): Promise<string> {
    const { tokenUrl, appKey, appSecret } = this.config;
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const response = await request(tokenUrl, {
        method: 'POST',
        dispatcher: this.config.dispatcher,
        signal,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: appKey, client_secret: appSecret, grant_type: 'client_credentials' }).toString(),
      });
      status = response.statusCode;
      retryAfter = retryAfterMs(response.headers['retry-after'], this.config.now());
      text = await response.body.text();
    } catch (error) {
      throw transportError(error);
    }
    let answer: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      throw new ChannelError('protocol_error', 'retry', `the token endpoint answered ${status} with something that is not JSON: ${text.slice(0, 100)}`);
    }
    if (typeof answer.access_token !== 'string' || answer.access_token === '') {
      // A token call changes nothing upstream, so any refusal is safe to report as is.
      const words = [answer.error, answer.error_description].filter((part) => typeof part === 'string').join(': ');
      if (status >= 500 || status === 429) throw new ChannelError('upstream_unavailable', 'retry', `the token endpoint answered ${status}: ${words}`, { upstreamCode: `http_${status}`, ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) });
      throw new ChannelError('auth_failed', 'operator', `诺诺 refused a token for appKey ${appKey}: ${words || `HTTP ${status}`}`, { upstreamCode: typeof answer.error === 'string' ? answer.error : `http_${status}` });
    }
    const seconds = Number(answer.expires_in);
    const token: KeptToken = { token: answer.access_token, expiresAt: this.config.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 24 * 3_600_000) };
    await this.config.shelf.write(this.config.channel, token);
    this.kept = token;
    return token.token;
  }
}
