/** How the doctor runs: its budget per step, what to trust and ask, and where the installation is. */
import type { TokenShelf } from '../channels/token-shelf.js';
import type { StoreLocation } from '../store/database.js';
import type { CheckProgress } from './check-list.js';

export interface DoctorOptions {
  /** Budget of each network step (resolve, connect, handshake, request), ms. */
  readonly timeoutMs: number;
  /** Extra CA certificates (PEM) to trust, for upstreams with a private CA. */
  readonly ca?: string;
  /** Ask this DNS server directly instead of the system's resolver. */
  readonly dnsServer?: string;
  readonly dataDir: string;
  readonly store: StoreLocation;
  /** Where the running gateway answers, for its circuit states. */
  readonly gatewayUrl: string;
  readonly concurrency: number;
  readonly onProgress?: CheckProgress;
  /** Where channels keep access tokens (the gateway's database, when it is open). */
  readonly tokens?: TokenShelf;
  /** FAPIAO_SECRETS_KEY, when secrets are not sealed with the data directory's key file. */
  readonly secretsKey?: string | null;
  readonly now?: () => number;
}
