// The banner on every page while a channel is down: which channel, since when, how many invoices
// wait (none lost). It polls the channels and goes away by itself once they answer again.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { hourMinute } from '../format';
import { language } from '../i18n';
import type { Channel, ChannelList } from '../types';
import { usePolling } from './use-polling';

const POLL_MS = 3000;

export const isDown = (channel: Channel) => channel.circuit !== 'closed' || channel.pausedUntil !== null;

/** Every invoice waiting, bound to a channel or not yet: the one figure the banner and the channels page show. */
export function waitingInvoices(list: ChannelList): number {
  return list.data.reduce((sum, channel) => sum + channel.backlog, 0) + list.unbound.backlog;
}

export function Banner() {
  const [list, setList] = useState<ChannelList | null>(null);
  usePolling(() => api.get<ChannelList>('/v1/channels'), { intervalMs: POLL_MS, deps: [], onValue: setList });
  if (!list) return null;
  const down = list.data.filter(isDown);
  if (down.length === 0) return null;
  const waiting = waitingInvoices(list);
  return (
    <div class="banner" role="alert" data-testid="outage-banner">
      {down.map((channel) => {
        const since = channel.failingSince ?? channel.lastFailureAt;
        return (
          <p key={channel.name}>
            {language.value === 'zh'
              ? `${channel.name}通道连接异常${since ? `，自 ${hourMinute(since)} 起` : ''}；${waiting} 张发票排队中，无一丢失`
              : `Channel ${channel.name} cannot be reached${since ? ` since ${hourMinute(since)}` : ''}; ${waiting} invoice${waiting === 1 ? '' : 's'} waiting, none lost`}
          </p>
        );
      })}
    </div>
  );
}
