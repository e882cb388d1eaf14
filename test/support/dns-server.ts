// A DNS server on loopback that answers the way a test asks: an A record (after a delay, if
// asked), NXDOMAIN, SERVFAIL, or nothing at all — the faults a real resolver shows, made here.
import { createSocket } from 'node:dgram';

export type DnsBehaviour = { readonly answer: string; readonly delayMs?: number } | { readonly rcode: 'nxdomain' | 'servfail' } | { readonly silent: true };

export interface TestDnsServer {
  /** host:port, for --dns-server. */
  readonly address: string;
  close(): Promise<void>;
}

const RCODE = { nxdomain: 3, servfail: 2 } as const;

/** The question section ends after the name's labels, then type and class (4 bytes). */
function questionEnd(query: Buffer): number {
  let offset = 12;
  while (query[offset] !== 0) offset += (query[offset] ?? 0) + 1;
  return offset + 5;
}

export async function startDnsServer(behaviour: (name: string) => DnsBehaviour): Promise<TestDnsServer> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    const end = questionEnd(query);
    const labels: string[] = [];
    for (let offset = 12; query[offset] !== 0; offset += (query[offset] ?? 0) + 1) labels.push(query.subarray(offset + 1, offset + 1 + (query[offset] ?? 0)).toString());
    const type = query.readUInt16BE(end - 4);
    const how = behaviour(labels.join('.'));
    if ('silent' in how) return;
    const rcode = 'rcode' in how ? RCODE[how.rcode] : 0;
    const withAnswer = 'answer' in how && type === 1;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(withAnswer ? 1 : 0, 6);
    const parts = [header, query.subarray(12, end)];
    if (withAnswer) {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0); // the name, as a pointer to the question's
      record.writeUInt16BE(1, 2);
      record.writeUInt16BE(1, 4);
      record.writeUInt32BE(60, 6);
      record.writeUInt16BE(4, 10);
      how.answer.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
      parts.push(record);
    }
    const reply = Buffer.concat(parts);
    setTimeout(() => socket.send(reply, peer.port, peer.address), 'delayMs' in how ? (how.delayMs ?? 0) : 0);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
