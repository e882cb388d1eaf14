/**
 * What a tenant is told about a channel's last error: our code and a fixed sentence in both
 * languages (src/domain/event-words.ts). The upstream's own text can quote another seller's invoice
 * (a buyer's name, a bank account), so it is kept for operators (operator keys, logs) and never
 * shown across tenants.
 */
import type { ChannelErrorCode } from '../channels/channel-error.js';
import { errorWords, type Words } from '../domain/event-words.js';

export const channelErrorText = (code: ChannelErrorCode): Words => errorWords(code);
