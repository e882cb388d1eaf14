// Channels are configured the same way for `serve` and `doctor`: NAME=URL, on the command line or
// in FAPIAO_CHANNELS; flags replace the variable, since the order of channels is their priority.
import { afterEach, describe, expect, it } from 'vitest';
import { serveConfig } from '../../src/cli/serve-command.js';
import { parseChannelList } from '../../src/runtime/config.js';

const saved = process.env.FAPIAO_CHANNELS;
afterEach(() => {
  if (saved === undefined) delete process.env.FAPIAO_CHANNELS;
  else process.env.FAPIAO_CHANNELS = saved;
});

const serve = (channel: string[]) => serveConfig({ port: '0', host: '127.0.0.1', channel });

describe('channel configuration', () => {
  it('reads NAME=URL lists separated by commas or spaces, in order', () => {
    expect(parseChannelList(' nuonuo=https://a.example/api,baiwang=http://10.0.0.5:8080\n sim=http://127.0.0.1:9090 ')).toEqual([
      { name: 'nuonuo', url: 'https://a.example/api' },
      { name: 'baiwang', url: 'http://10.0.0.5:8080' },
      { name: 'sim', url: 'http://127.0.0.1:9090' },
    ]);
    expect(parseChannelList('')).toEqual([]);
  });

  it('refuses an entry without a name, without a URL, or with another scheme', () => {
    expect(() => parseChannelList('https://a.example')).toThrow('write NAME=URL');
    expect(() => parseChannelList('nuonuo=a.example')).toThrow('"a.example" is not a URL');
    expect(() => parseChannelList('nuonuo')).toThrow('write NAME=URL');
    expect(() => parseChannelList('=https://a.example')).toThrow('write NAME=URL');
    expect(() => parseChannelList('ftp=ftp://a.example')).toThrow('must be http:// or https://');
  });

  it('serve takes FAPIAO_CHANNELS when no --channel is given, and the flags instead of it when they are', () => {
    process.env.FAPIAO_CHANNELS = 'a=http://127.0.0.1:1,b=http://127.0.0.1:2';
    expect(serve([]).channels.map((c) => c.name)).toEqual(['a', 'b']);
    expect(serve([{ name: 'c', url: 'http://127.0.0.1:3' }] as never).channels.map((c) => c.name)).toEqual(['c']);
    process.env.FAPIAO_CHANNELS = 'a=http://127.0.0.1:1,a=http://127.0.0.1:2';
    expect(() => serve([])).toThrow('channel a is configured twice');
  });
});
