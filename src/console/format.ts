// Dates and amounts as finance staff read them: Beijing time, two decimals.
const beijing = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const clock = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });

export const dateTime = (iso: string | null) => (iso ? beijing.format(new Date(iso)).replace(/\//g, '-') : '—');
export const hourMinute = (iso: string) => clock.format(new Date(iso));
/** A decimal amount as finance staff write it: ¥1,234,567.00 — grouped by text, never through a float. */
export const money = (text: string) => {
  const [, sign = '', whole = text, fraction] = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text) ?? [];
  return `${sign}¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
};
/** A day as YYYY-MM-DD, Beijing time. */
export const dateOnly = (iso: string | null) => (iso ? dateTime(iso).slice(0, 10) : '—');
export const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 1 : 0)}%`;
