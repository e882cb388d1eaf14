/**
 * 百望's access token (`baiwang.oauth.token`, password grant: the password as SHA-256 of password +
 * salt): about 8 hours, with a refresh token for 30 days. Both are kept on the token shelf (the
 * database in a running gateway, sealed at rest) so every process and restart shares them; a lapsed
 * token is renewed with the refresh token first, and with the password when that is refused. The
 * channel's TokenKeeper decides when a token is needed; this module only asks for one.
 */
import { request, type Dispatcher } from 'undici';
import { ChannelError } from '../channel-error.js';
import type { KeptToken, TokenShelf } from '../token-shelf.js';
import { retryAfterMs, transportError } from '../transport-error.js';
import { BAIWANG_CODES, answerCode, type BaiwangAnswer } from './baiwang-codes.js';
import { compactJson, passwordDigest } from './baiwang-sign.js';

export interface BaiwangTokenConfig {
  readonly channel: string;
  readonly url: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly username: string;
  readonly password: string;
  readonly salt: string;
  readonly shelf: TokenShelf;
  readonly dispatcher: Dispatcher;
  readonly now: () => number;
}

const DEFAULT_LIFETIME_S = 8 * 3600;
const REFRESH_LIFETIME_MS = 30 * 86_400_000;

/** The shelf's key for the refresh token beside the channel's access token. */
export const refreshKey = (channel: string) => `${channel}:refresh`;

/** Asks 百望 for a new token (by the refresh token first); a TokenKeeper decides when. */
export class BaiwangTokenGrant {
  constructor(private readonly config: BaiwangTokenConfig) {}

  async fetch(signal: AbortSignal): Promise<KeptToken> {
    const refresh = await this.config.shelf.read(refreshKey(this.config.channel));
    if (refresh && refresh.expiresAt > this.config.now()) {
      // A refused refresh token is no loss: the password grant still works.
      const renewed = await this.grant({ grant_type: 'refresh_token', refresh_token: refresh.token }, { client_secret: this.config.appSecret }, signal).catch((error: unknown) => {
        if (error instanceof ChannelError && error.code === 'auth_failed') return undefined;
        throw error;
      });
      if (renewed) return renewed;
    }
    const { username, password, salt, appSecret } = this.config;
    return this.grant({ grant_type: 'password' }, { username, password: passwordDigest(password, salt), client_secret: appSecret }, signal);
  }

  /** One token call (unsigned); the refresh token is shelved here, the access token by the keeper. */
  private async grant(grant: Record<string, string>, body: Record<string, string>, signal: AbortSignal): Promise<KeptToken> {
    const { url, appKey, now } = this.config;
    const params = new URLSearchParams({ method: 'baiwang.oauth.token', ...grant, client_id: appKey, version: '7.0', timestamp: String(now()), encryptType: 'NONE', encryptScope: '00' });
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const response = await request(`${url}?${params.toString()}`, { method: 'POST', dispatcher: this.config.dispatcher, signal, headers: { 'content-type': 'application/json; charset=utf-8' }, body: compactJson(body) });
      status = response.statusCode;
      retryAfter = retryAfterMs(response.headers['retry-after'], now());
      text = await response.body.text();
    } catch (error) {
      throw transportError(error);
    }
    if (status === 429 || status >= 500) throw new ChannelError('upstream_unavailable', 'retry', `百望's token call answered ${status}`, { upstreamCode: `http_${status}`, ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) });
    let answer: BaiwangAnswer;
    try {
      answer = JSON.parse(text) as BaiwangAnswer;
    } catch {
      throw new ChannelError('protocol_error', 'retry', `百望's token call answered ${status} with something that is not JSON: ${text.slice(0, 100)}`);
    }
    const tokens = answer.response as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown } | undefined;
    if (answer.success !== true || typeof tokens?.access_token !== 'string' || tokens.access_token === '') {
      // A token call changes nothing upstream: any refusal is safe to report as it is.
      const code = answerCode(answer);
      const known = BAIWANG_CODES[code];
      throw new ChannelError('auth_failed', 'operator', `百望 refused a token (${grant.grant_type}) for appKey ${appKey}: ${[code, answer.errorResponse?.message].filter(Boolean).join(' ') || `HTTP ${status}`}${known ? ` — ${known.cause.en}` : ''}`, { upstreamCode: code || `http_${status}` });
    }
    const seconds = Number(tokens.expires_in);
    if (typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '') await this.config.shelf.write(refreshKey(this.config.channel), { token: tokens.refresh_token, expiresAt: now() + REFRESH_LIFETIME_MS });
    return { token: tokens.access_token, expiresAt: now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_LIFETIME_S) * 1000 };
  }
}
