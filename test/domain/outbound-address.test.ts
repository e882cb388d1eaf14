// The outbound address policy as a table (OWASP SSRF): every spelling of a loopback, private,
// link-local, reserved or transition address a webhook URL can carry is refused, a malformed URL
// is refused, and real receivers pass — through the subscription reader, as the API reads them.
import { describe, expect, it } from 'vitest';
import { isGlobalAddress, receiverHostFault } from '../../src/domain/outbound-address.js';
import { readSubscriptionRequest } from '../../src/domain/webhook-subscription.js';

const REFUSED_AS_PRIVATE = [
  // IPv4 loopback in every spelling WHATWG URLs and inet_aton accept
  'http://127.0.0.1/h', 'http://127.1/h', 'http://127.0.1/h', 'http://0177.0.0.1/h', 'http://0x7f.0.0.1/h', 'http://0x7f000001/h', 'http://2130706433/h', 'http://017700000001/h', 'http://127.255.255.254/h',
  // unspecified, private, shared, link-local (cloud metadata), multicast, broadcast, reserved
  'http://0.0.0.0/h', 'http://0/h', 'http://10.0.0.1/h', 'http://10.255.255.255/h', 'http://172.16.0.1/h', 'http://172.31.255.255/h', 'http://192.168.1.1/h', 'http://100.64.0.1/h', 'http://100.127.255.254/h',
  'http://169.254.169.254/latest/meta-data', 'http://169.254.0.1/h', 'http://224.0.0.1/h', 'http://239.255.255.250/h', 'http://255.255.255.255/h', 'http://240.0.0.1/h',
  'http://198.18.0.1/h', 'http://198.19.255.254/h', 'http://192.0.0.1/h', 'http://192.0.2.1/h', 'http://198.51.100.1/h', 'http://203.0.113.1/h', 'http://192.88.99.1/h',
  // IPv6 loopback, unspecified, link-local (with a zone), unique local, site-local, multicast
  'http://[::1]/h', 'http://[0:0:0:0:0:0:0:1]/h', 'http://[::]/h', 'http://[fe80::1]/h', 'http://[fc00::1]/h', 'http://[fd12:3456:789a::1]/h', 'http://[fec0::1]/h', 'http://[feff::1]/h', 'http://[ff02::1]/h',
  // IPv6 forms that carry an IPv4 address: mapped (both spellings), compatible, SIIT, NAT64, 6to4, Teredo
  'http://[::ffff:127.0.0.1]/h', 'http://[::ffff:7f00:1]/h', 'http://[::ffff:10.0.0.1]/h', 'http://[::ffff:169.254.169.254]/h', 'http://[::7f00:1]/h', 'http://[::127.0.0.1]/h', 'http://[::ffff:0:7f00:1]/h',
  'http://[64:ff9b::7f00:1]/h', 'http://[64:ff9b::a9fe:a9fe]/h', 'http://[2002:7f00:1::]/h', 'http://[2002:a9fe:a9fe::1]/h', 'http://[2001::1]/h', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h',
  // documentation and benchmarking IPv6, discard-only
  'http://[2001:db8::1]/h', 'http://[2001:2::1]/h', 'http://[100::1]/h',
  // localhost by name, with a trailing dot, in capitals, as a subdomain
  'http://localhost/h', 'http://localhost./h', 'http://LOCALHOST/h', 'http://a.localhost/h', 'http://x.y.localhost./h', 'https://localhost:8443/h',
];

const REFUSED_AS_MALFORMED = ['http://https://x/', 'http:///x', 'http://x/h', 'http://intranet/h', 'http://-bad-.example.com/h', 'http://a..b.com/h', 'http://1.2.3.4.5/h', 'http://x.123/h', 'http://exa_mple.com/h'];
const NOT_A_URL = ['http://[::1/h', 'http://[fe80::1%25eth0]/h', 'ftp://example.com/h', 'file:///etc/passwd', 'gopher://example.com/', 'javascript:alert(1)', 'https://user:pass@example.com/h', '//example.com/h', 'example.com/h', 'http://exa mple.com/'];
const ALLOWED = ['https://erp.example.com/fapiao-hooks', 'https://8.8.8.8/h', 'https://1.1.1.1:8443/h', 'https://[2606:4700:4700::1111]/h', 'https://[2001:4860:4860::8888]/h', 'https://hooks.例子.中国/h', 'https://EXAMPLE.COM./h', 'http://203.0.114.1/h'];

const read = (url: string, allowPrivate = false) => readSubscriptionRequest({ url, events: ['*'] }, { allowPrivate });
const codes = (url: string, allowPrivate = false) => {
  const answer = read(url, allowPrivate);
  return answer.kind === 'ok' ? 'ok' : answer.errors.map((error) => error.code).join(',');
};

describe('outbound address policy', () => {
  it(`has a table of at least 60 refused forms (${REFUSED_AS_PRIVATE.length + REFUSED_AS_MALFORMED.length + NOT_A_URL.length})`, () => {
    expect(REFUSED_AS_PRIVATE.length + REFUSED_AS_MALFORMED.length + NOT_A_URL.length).toBeGreaterThanOrEqual(60);
  });

  it.each(REFUSED_AS_PRIVATE)('refuses %s as private', (url) => {
    expect(codes(url)).toBe('webhook_url_private');
  });

  it.each(REFUSED_AS_MALFORMED)('refuses %s as malformed', (url) => {
    expect(codes(url)).toBe('webhook_url_invalid');
    // Allowing private receivers does not let a malformed one through.
    expect(codes(url, true)).toBe('webhook_url_invalid');
  });

  it.each(NOT_A_URL)('refuses %s as not a receiver URL', (url) => {
    expect(codes(url)).toBe('webhook_url_invalid');
  });

  it.each(ALLOWED)('takes %s', (url) => {
    expect(codes(url)).toBe('ok');
  });

  it('lets private receivers through only when allowed', () => {
    expect(codes('http://127.0.0.1:9999/h', true)).toBe('ok');
    expect(codes('http://localhost:9999/h', true)).toBe('ok');
  });

  it('judges resolved addresses by the same table', () => {
    expect(['8.8.8.8', '2606:4700::1'].map(isGlobalAddress)).toEqual([true, true]);
    expect(['127.0.0.1', '::ffff:127.0.0.1', '::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', 'fec0::1', '198.18.0.1', 'fe80::1', 'not an address', ''].map(isGlobalAddress)).toEqual(Array(10).fill(false));
    expect(receiverHostFault('[::1]')).toBe('private');
  });
});
