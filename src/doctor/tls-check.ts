/**
 * The tls layer: one handshake that accepts any certificate, so that every fault is seen and named
 * separately — validity dates, chain trust, hostname — instead of the first one OpenSSL stops at.
 */
import { environment } from '../runtime/env.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, connect, rootCertificates, type ConnectionOptions, type DetailedPeerCertificate } from 'node:tls';
import { fail, ok, warn, type Finding } from './check.js';

export interface TlsObservation {
  readonly protocol: string;
  readonly cipher: string;
  /** The certificates the server presented, leaf first. */
  readonly chain: readonly X509Certificate[];
  readonly peer: DetailedPeerCertificate;
  /** OpenSSL's verdict on the chain (trust and dates, not the hostname); null when trusted. */
  readonly authorizationError: string | null;
  readonly ocspResponse: Buffer | null;
}

/** A certificate this close to its end is worth a warning. */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export function tlsHandshake(host: string, address: string, port: number, options: { timeoutMs: number; ca?: string }): Promise<TlsObservation | { error: Finding }> {
  return new Promise((resolve) => {
    let ocspResponse: Buffer | null = null;
    // tls.connect passes requestOCSP on to the socket; @types/node lists it only there.
    const connectOptions: ConnectionOptions & { requestOCSP: boolean } = {
      host: address,
      port,
      ...(isIP(host) === 0 && { servername: host }),
      rejectUnauthorized: false,
      requestOCSP: true,
      ...(options.ca !== undefined && { ca: [...rootCertificates, options.ca] }),
    };
    const socket = connect(connectOptions);
    const done = (result: TlsObservation | { error: Finding }) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(options.timeoutMs, () => done({ error: fail('tls.handshake_failed', `no TLS handshake within ${options.timeoutMs} ms (is the port speaking TLS?)`) }));
    socket.on('OCSPResponse', (response: Buffer) => (ocspResponse = response));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ error: handshakeFailure(error) }));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      done({
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: socket.getCipher().name,
        chain: presentedChain(peer),
        peer,
        authorizationError: socket.authorized ? null : String(socket.authorizationError),
        ocspResponse,
      });
    });
  });
}

function handshakeFailure(error: NodeJS.ErrnoException): Finding {
  const code = error.code ?? 'unknown';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return fail('tls.handshake_failed', `the server does not speak TLS on this port (${code}); is the address http:// rather than https://?`);
  }
  if (code === 'ECONNRESET') return fail('tls.handshake_failed', 'the server closed the connection during the handshake (ECONNRESET)');
  return fail('tls.handshake_failed', `${error.message} (${code})`);
}

function presentedChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert?.raw && !seen.has(cert); cert = cert.issuerCertificate) {
    seen.add(cert);
    chain.push(new X509Certificate(cert.raw));
  }
  return chain;
}

export function handshakeFinding(tls: TlsObservation): Finding {
  const detail = `${tls.protocol}, ${tls.cipher}`;
  if (tls.protocol === 'TLSv1' || tls.protocol === 'TLSv1.1') return warn('tls.protocol_old', `${detail}: a deprecated protocol version`);
  return ok(detail);
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The CN of a distinguished name as X509Certificate prints it (one RDN per line), else the whole name. */
const commonName = (dn: string) => /CN=([^\n,]+)/.exec(dn)?.[1] ?? dn.replace(/\n/g, ', ');

/** Dates of every certificate presented: the leaf's, and any intermediate's that ends sooner. */
export function validityFinding(tls: TlsObservation, now: number): Finding {
  const leaf = tls.chain[0];
  if (!leaf) return fail('tls.untrusted', 'the server presented no certificate');
  for (const [index, cert] of tls.chain.entries()) {
    const which = index === 0 ? '' : `intermediate ${commonName(cert.subject)}: `;
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (now > to) {
      const days = Math.floor((now - to) / DAY_MS);
      return fail('tls.cert_expired', `${which}expired ${isoDay(to)} (${days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`})`);
    }
    if (now < from) return fail('tls.cert_not_yet_valid', `${which}not valid before ${new Date(from).toISOString()} (this host's clock says ${new Date(now).toISOString()})`);
  }
  const soonest = tls.chain.reduce((a, b) => (Date.parse(b.validTo) < Date.parse(a.validTo) ? b : a));
  const end = Date.parse(soonest.validTo);
  const days = Math.floor((end - now) / DAY_MS);
  const which = soonest === leaf ? '' : `intermediate ${commonName(soonest.subject)} `;
  if (days < EXPIRY_WARNING_DAYS) return warn('tls.cert_expiring', `${which}expires ${isoDay(end)} (in ${days} day${days === 1 ? '' : 's'})`);
  return ok(`valid until ${isoDay(end)} (${days} days)`);
}

const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * Whether the chain leads to a trusted root. OpenSSL stops at the first fault, so when that fault
 * is a date the chain is walked here as well, dates aside: an expired certificate from a trusted CA
 * is a renewal away from working, a self-signed one is not.
 */
export function trustFinding(tls: TlsObservation, extraCa: string | undefined): Finding {
  const issuer = tls.chain[0] ? `issued by ${commonName(tls.chain[0].issuer)}` : 'no certificate';
  // Node checks the hostname only once the chain verified, and reports a mismatch in the same
  // field; the hostname has its own check, so here it means the chain is trusted.
  if (tls.authorizationError === null || tls.authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID') return ok(`trusted, ${issuer}`);
  if (!DATE_ERRORS.has(tls.authorizationError)) return fail('tls.untrusted', `${untrustedReason(tls.authorizationError)}; ${issuer}`);
  return chainReachesRoot(tls.chain, trustedRoots(extraCa)) ? ok(`trusted apart from its dates, ${issuer}`) : fail('tls.untrusted', `no trusted root; ${issuer}`);
}

function untrustedReason(code: string): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the chain ends in a self-signed root this host does not trust (SELF_SIGNED_CERT_IN_CHAIN)';
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return `issuer unknown here: a private CA, or intermediates the server did not send (${code})`;
    default:
      return code;
  }
}

function trustedRoots(extraCa: string | undefined): X509Certificate[] {
  const pems = [...rootCertificates, ...splitPem(extraCa), ...splitPem(readExtraCaFile())];
  return pems.flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
}

/** Node trusts NODE_EXTRA_CA_CERTS too, but does not list it in rootCertificates. */
function readExtraCaFile(): string | undefined {
  const file = environment.extraCaCertsFile;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function splitPem(text: string | undefined): string[] {
  return text?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function chainReachesRoot(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): boolean {
  const signedBy = (cert: X509Certificate, issuer: X509Certificate) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  let current = chain[0];
  for (let depth = 0; current && depth < 10; depth++) {
    const cert: X509Certificate = current;
    if (roots.some((root) => root.fingerprint256 === cert.fingerprint256 || signedBy(cert, root))) return true;
    current = chain.find((candidate) => candidate !== cert && candidate.fingerprint256 !== cert.fingerprint256 && signedBy(cert, candidate));
  }
  return false;
}

export function hostnameFinding(host: string, tls: TlsObservation): Finding {
  const commonName = tls.peer.subject?.CN;
  const names = tls.peer.subjectaltname || `CN=${Array.isArray(commonName) ? commonName.join(', ') : (commonName ?? '?')}`;
  const error = checkServerIdentity(host, tls.peer);
  if (error) return fail('tls.hostname_mismatch', `the certificate is for ${names}, not ${host}`);
  return ok(`${host} is covered (${names})`);
}

const OCSP_STATUS = ['successful', 'malformedRequest', 'internalError', 'tryLater', 'unused', 'sigRequired', 'unauthorized'];

/** Stapling is optional; its absence is reported, not held against the server. */
export function ocspFinding(tls: TlsObservation): Finding {
  const response = tls.ocspResponse;
  if (!response || response.length === 0) return ok('no OCSP response stapled (clients check revocation themselves)');
  return ok(`stapled OCSP response: ${ocspResponseStatus(response)} (${response.length} bytes)`);
}

/** responseStatus of an OCSPResponse (RFC 6960 §4.2.1): SEQUENCE { ENUMERATED, … } in DER. */
function ocspResponseStatus(der: Buffer): string {
  if (der[0] !== 0x30 || der.length < 5) return 'unreadable';
  const lengthByte = der[1] ?? 0;
  const offset = 2 + (lengthByte & 0x80 ? lengthByte & 0x7f : 0);
  if (der[offset] !== 0x0a || der[offset + 1] !== 0x01) return 'unreadable';
  const status = der[offset + 2] ?? -1;
  return OCSP_STATUS[status] ?? `status ${status}`;
}
