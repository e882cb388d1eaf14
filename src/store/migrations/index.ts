/** Every migration, listed explicitly and in order; names are frozen once released. */
import type { Migration } from 'kysely';
import * as initial from './001-initial.js';
import * as documents from './002-documents.js';
import * as orderNumbers from './003-order-numbers.js';
import * as storageProbe from './004-storage-probe.js';
import * as jobs from './005-jobs.js';
import * as channelTokens from './006-channel-tokens.js';
import * as channelIsolations from './007-channel-isolations.js';
import * as lastSent from './008-last-sent.js';
import * as auditChains from './009-audit-chains.js';
import * as redFlush from './010-red-flush.js';
import * as deliveries from './011-deliveries.js';
import * as consoleUsers from './012-console-users.js';
import * as securityLimits from './013-security-limits.js';
import * as traceContext from './014-trace-context.js';
import * as batches from './015-batches.js';
import * as listIndexes from './016-list-indexes.js';
import * as sellerQuotas from './017-seller-quotas.js';
import * as quotaReadAsks from './018-quota-read-asks.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': initial,
  '002-documents': documents,
  '003-order-numbers': orderNumbers,
  '004-storage-probe': storageProbe,
  '005-jobs': jobs,
  '006-channel-tokens': channelTokens,
  '007-channel-isolations': channelIsolations,
  '008-last-sent': lastSent,
  '009-audit-chains': auditChains,
  '010-red-flush': redFlush,
  '011-deliveries': deliveries,
  '012-console-users': consoleUsers,
  '013-security-limits': securityLimits,
  '014-trace-context': traceContext,
  '015-batches': batches,
  '016-list-indexes': listIndexes,
  '017-seller-quotas': sellerQuotas,
  '018-quota-read-asks': quotaReadAsks,
};
