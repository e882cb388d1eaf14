/**
 * Where the gateway may send a request a tenant chose (webhooks; OWASP's SSRF cheat sheet): only
 * to global unicast addresses. Ranges are decided by a maintained table (ipaddr.js), not our own
 * regular expressions, so the IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
 * 6to4, Teredo), site-local, benchmarking and reserved ranges are refused with the rest.
 */
import ipaddr from 'ipaddr.js';

/** 2000::/3: the only IPv6 block IANA hands out as global unicast. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Whether an address (any spelling ipaddr.js reads: 0177.1, 2130706433, ::ffff:7f00:1) is global unicast. */
export function isGlobalAddress(address: string): boolean {
  const literal = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(literal)) return false;
  const parsed = ipaddr.process(literal);
  if (parsed.range() !== 'unicast') return false;
  return parsed.kind() === 'ipv4' || (parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Why a URL's host cannot be a receiver by its own spelling, or undefined: 'private' for an address
 * that is not global (or a localhost name), 'malformed' for a host that is not an address nor a
 * name of two or more labels (`http://https://x/` parses with the host "https"). A name that
 * resolves to a private address is caught when connecting, address by address.
 */
export function receiverHostFault(hostname: string): 'private' | 'malformed' | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[')) return isGlobalAddress(host) ? undefined : 'private';
  if (ipaddr.isValid(host)) return isGlobalAddress(host) ? undefined : 'private';
  const labels = host.split('.');
  if (labels.at(-1) === 'localhost') return 'private';
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return 'malformed';
  // A top-level label of digits only would make the name an address in another spelling.
  if (/^\d+$/.test(labels.at(-1)!)) return 'malformed';
  return undefined;
}
