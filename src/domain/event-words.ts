/**
 * What happened to an invoice, in words a finance clerk reads: each audit event, each state, each
 * attempt's outcome and each channel error code in Chinese and English (docs/glossary.md has the
 * same words). The API puts a sentence on every timeline entry and error, so no page shows
 * `lease_for_submit` or `pending/queued`.
 */

export interface Words {
  readonly zh: string;
  readonly en: string;
}

const w = (zh: string, en: string): Words => ({ zh, en });

export const EVENT_WORDS: Readonly<Record<string, Words>> = {
  accepted: w('已受理', 'accepted'),
  lease_for_submit: w('开始提交', 'sending'),
  lease_for_query: w('开始查询结果', 'asking for the outcome'),
  issued: w('已开具', 'issued'),
  rejected: w('被上游拒绝', 'rejected upstream'),
  confirmation_pending: w('红字确认单待对方确认', 'red-letter form awaits the counterparty'),
  not_sent: w('未发出，将重新提交', 'not sent; it will be sent again'),
  outcome_unknown: w('结果未知，将查询确认', 'outcome unknown; it will be queried'),
  lease_expired: w('处理中断，将查询确认', 'interrupted; it will be queried'),
  lease_released: w('节点停止，已交还处理，将查询确认', 'its node stopped and handed it back; it will be queried'),
  not_found_upstream: w('上游无此发票，将重新提交', 'not found upstream; it will be sent again'),
  query_failed: w('查询未获应答', 'the query got no answer'),
  channel_paused: w('通道暂停', 'channel paused'),
  gave_up: w('超时未发出，已放弃', 'given up: never sent in time'),
  retry_requested: w('已请求重试', 'retry requested'),
  adopted: w('对账确认已开具', 'found issued by reconciliation'),
  red_flush_requested: w('已申请红冲', 'red-flush requested'),
  quota_short: w('当月发票额度不足，等待额度', "the month's invoice quota cannot cover it; it waits for quota"),
};

export const STATE_WORDS: Readonly<Record<string, Words>> = {
  'pending/queued': w('排队中', 'queued'),
  'pending/submitting': w('提交中', 'submitting'),
  'pending/uncertain': w('结果待确认', 'outcome being confirmed'),
  'pending/awaiting_result': w('上游开具中', 'upstream issuing'),
  'pending/awaiting_confirmation': w('等待对方确认红字确认单', 'waiting for the counterparty to confirm'),
  'pending/awaiting_quota': w('等待发票额度', 'waiting for invoice quota'),
  issued: w('已开具', 'issued'),
  rejected: w('被拒绝', 'rejected'),
  failed: w('失败', 'failed'),
};

/** An attempt's outcome: the upstream's answer, or how a failed call was classified. */
export const OUTCOME_WORDS: Readonly<Record<string, Words>> = {
  issued: w('已开具', 'issued'),
  accepted: w('上游已受理', 'taken by the upstream'),
  awaiting_confirmation: w('待对方确认', 'awaiting confirmation'),
  rejected: w('被拒绝', 'rejected'),
  not_found: w('上游无记录', 'not found upstream'),
  retry: w('未送达，可重发', 'not delivered; safe to resend'),
  uncertain: w('结果未知', 'outcome unknown'),
  operator: w('需运维处理', 'needs an operator'),
};

/** Our channel error codes (docs/errors.md) as a sentence each. */
export const CHANNEL_ERROR_WORDS: Readonly<Record<string, Words>> = {
  dns_failed: w('上游域名解析失败', "the upstream's name did not resolve"),
  connect_failed: w('连接上游被拒绝或主机不可达', 'the connection to the upstream was refused or the host is unreachable'),
  connect_timeout: w('连接上游超时', 'no connection to the upstream within the connect timeout'),
  tls_failed: w('与上游的 TLS 握手失败（证书过期、不受信任或不匹配）', 'the TLS handshake with the upstream failed (certificate expired, untrusted or mismatched)'),
  timeout_after_send: w('上游未在规定时间内应答', 'the upstream did not answer within the response timeout'),
  connection_reset: w('发送后与上游的连接中断', 'the connection to the upstream broke after sending'),
  rate_limited: w('上游要求降低调用频率（429）', 'the upstream asked to slow down (429)'),
  upstream_unavailable: w('上游服务暂不可用（503）', 'the upstream was unavailable (503)'),
  upstream_error: w('上游返回了意外错误', 'the upstream answered with an unexpected error'),
  content_rejected: w('上游拒绝了发票内容', 'the upstream refused the content of an invoice'),
  auth_failed: w('上游拒绝了网关的凭据或权限', "the upstream refused this gateway's credentials or permissions"),
  drawer_login_required: w('开票员需重新登录电子税务局或进行身份认证', 'the drawer (开票员) must log in to the tax bureau again, or confirm their identity'),
  circuit_open: w('通道连续失败，正在暂停休息', 'the channel is resting after repeated failures'),
  rate_held: w('等待通道调用额度，已重新排队', "the call waited for room at the channel's rate and was put back in line"),
  protocol_error: w('上游应答无法解析', 'the upstream answered something unreadable'),
  quota_exhausted: w('当月发票额度不足，发票等待额度后再开具', "the month's invoice quota cannot cover it; the invoice waits for quota"),
  upstream_rejected: w('上游处理后拒绝开具', 'the upstream processed it and refused it'),
  no_usable_channel: w('所有通道都在暂停或休息中', 'every channel is resting or paused'),
  not_found_unconfirmed: w('上游暂无记录且无法确认', 'the upstream has no record yet and cannot say for sure'),
  channel_unknown: w('发票所属通道未配置，请重新添加该通道', 'the invoice is bound to a channel that is not configured; add it back'),
  gave_up: w('超过最长处理时间仍未送达上游，已放弃；可重试', 'never reached an upstream within the maximum age; retry it'),
};

/** A code's sentence; an upstream's own business code (`upstream_…`) reads as a refusal with that code. */
export function errorWords(code: string): Words {
  const known = CHANNEL_ERROR_WORDS[code];
  if (known) return known;
  if (code.startsWith('upstream_confirmation_')) return w(`红字确认单未生效（状态 ${code.slice('upstream_confirmation_'.length)}）`, `the red-letter form did not take effect (state ${code.slice('upstream_confirmation_'.length)})`);
  if (code.startsWith('upstream_')) return w(`上游拒绝开具（代码 ${code.slice('upstream_'.length)}）`, `the upstream refused it (code ${code.slice('upstream_'.length)})`);
  return w(code, code);
}

/** One audit entry as a sentence: the event, the state it led to when that changed, and why. */
export function auditWords(event: string, from: string | null, to: string | null, errorCode: string | null = null): Words {
  const what = EVENT_WORDS[event] ?? w(event, event);
  const state = to !== null && to !== from ? STATE_WORDS[to] : undefined;
  const why = errorCode ? errorWords(errorCode) : undefined;
  const zh = [state?.zh, why?.zh].filter(Boolean).join('；');
  const en = [state?.en, why?.en].filter(Boolean).join('; ');
  return zh === '' ? what : w(`${what.zh}（${zh}）`, `${what.en} (${en})`);
}

/** One attempt as a sentence: submit or query, where, and what came of it. */
export function attemptWords(action: string, channel: string | null, outcome: string | null, errorCode: string | null): Words {
  const verb = action === 'query' ? w('查询', 'query') : w('提交', 'submit');
  const where = channel ? w(`至 ${channel}`, ` to ${channel}`) : w('', '');
  const result = outcome ? (OUTCOME_WORDS[outcome] ?? w(outcome, outcome)) : w('', '');
  const why = errorCode ? errorWords(errorCode) : undefined;
  return w(
    `${verb.zh}${where.zh}：${result.zh}${why ? `（${why.zh}）` : ''}`,
    `${verb.en}${where.en}: ${result.en}${why ? ` (${why.en})` : ''}`,
  );
}
