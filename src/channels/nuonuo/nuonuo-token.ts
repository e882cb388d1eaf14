/**
 * 诺诺's access token call (client_credentials): 诺诺 allows 50 token calls in 30 days, so the
 * channel's TokenKeeper asks only when none is kept or the one kept was refused, and keeps it where
 * every gateway process and every restart finds it (the database in a running gateway).
 */
import { request, type Dispatcher } from 'undici';
import { ChannelError } from '../channel-error.js';
import { retryAfterMs, transportError } from '../transport-error.js';

import type { KeptToken } from '../token-shelf.js';

export interface NuonuoTokenConfig {
  readonly tokenUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly dispatcher: Dispatcher;
  readonly now: () => number;
}

/** Asks 诺诺 for a new token; a TokenKeeper decides when. */
export class NuonuoTokenGrant {
  constructor(private readonly config: NuonuoTokenConfig) {}

  async fetch(signal: AbortSignal): Promise<KeptToken> {
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
    return { token: answer.access_token, expiresAt: this.config.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 24 * 3_600_000) };
  }
}
