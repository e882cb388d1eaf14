// Certificates for TLS fault tests, made with the openssl command: a test CA, and leaves signed by
// it with any validity window (`openssl ca` takes explicit start and end dates, which `req -x509`
// cannot set in the past), for any names; and a self-signed one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface TestCa extends KeyPair {
  /** A leaf for `names` (DNS or IP), valid from `from` to `to` (epoch ms). */
  issue(names: readonly string[], validity: { from: number; to: number }): KeyPair;
}

const DAY = 86_400_000;
const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
const asn1Time = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
const san = (names: readonly string[]) => names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'fapiao-ca-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Fapiao Test CA', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = test_ca',
    '[test_ca]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir', 'serial = $dir/serial',
    'certificate = $dir/ca.pem', 'private_key = $dir/ca.key', 'default_md = sha256', 'policy = any', 'unique_subject = no',
    '[any]', 'commonName = supplied',
  ].join('\n'));
  let count = 0;
  return {
    cert: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    key: readFileSync(join(dir, 'ca.key'), 'utf8'),
    issue(names, validity) {
      const name = `leaf${++count}`;
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${names[0]}`], dir);
      writeFileSync(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${san(names)}\n`);
      openssl(['ca', '-batch', '-config', 'ca.cnf', '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`, '-extfile', `${name}.ext`,
        '-startdate', asn1Time(validity.from), '-enddate', asn1Time(validity.to)], dir);
      return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
    },
  };
}

/** A self-signed certificate for `names`, valid for a year: trusted by no one. */
export function createSelfSigned(names: readonly string[]): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'fapiao-self-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', `/CN=${names[0]}`, '-days', '365',
    '-addext', `subjectAltName=${san(names)}`], dir);
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

export const days = (n: number) => n * DAY;
