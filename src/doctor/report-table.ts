/**
 * The doctor's report for people: a table of checks, then each finding with its cause and fix in
 * Chinese and English. Colour only when the output is a terminal (and NO_COLOR is unset).
 */
import type { Check, CheckStatus, DoctorReport } from './check.js';

const COLOURS: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '31', skip: '90' };
const LABELS: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderReport(report: DoctorReport, options: { colour: boolean; at?: Date }): string {
  const paint = (status: CheckStatus, text: string) => (options.colour ? `\x1b[${COLOURS[status]}m${text}\x1b[0m` : text);
  const bold = (text: string) => (options.colour ? `\x1b[1m${text}\x1b[0m` : text);
  const name = (check: Check) => (check.channel ? `[${check.channel}] ${check.name}` : check.name);
  const time = (check: Check) => (check.status === 'skip' ? '' : `${check.durationMs < 10 ? check.durationMs.toFixed(1) : Math.round(check.durationMs)} ms`);
  const widths = {
    layer: Math.max(5, ...report.checks.map((c) => c.layer.length)),
    name: Math.max(5, ...report.checks.map((c) => name(c).length)),
    time: Math.max(4, ...report.checks.map((c) => time(c).length)),
  };
  const lines: string[] = [];
  lines.push(bold(`fapiao doctor — ${report.target}${options.at ? `  (${options.at.toISOString()})` : ''}`), '');
  lines.push(bold(`  ${'LAYER'.padEnd(widths.layer)}  ${'CHECK'.padEnd(widths.name)}  ${'STATUS'}  ${'TIME'.padStart(widths.time)}  DETAIL`));
  for (const check of report.checks) {
    const status = paint(check.status, LABELS[check.status].padEnd(6));
    lines.push(`  ${check.layer.padEnd(widths.layer)}  ${name(check).padEnd(widths.name)}  ${status}  ${time(check).padStart(widths.time)}  ${check.detail}`);
  }
  const findings = report.checks.filter((check) => check.code !== null);
  if (findings.length > 0) {
    lines.push('', bold('What it means and what to do / 原因与处理'));
    const explained = new Set<string>();
    for (const check of findings) {
      const code = check.code ?? '';
      lines.push('', `  ${paint(check.status, LABELS[check.status])} ${bold(code)}${check.channel ? ` [${check.channel}]` : ''} — ${check.detail}`);
      if (explained.has(code)) lines.push('    (see above / 见上)');
      else if (check.remedy) lines.push(`    ${check.remedy.zh}`, `    ${check.remedy.en}`);
      explained.add(code);
    }
  }
  const count = (status: CheckStatus) => report.checks.filter((check) => check.status === status).length;
  const summary = [`${count('fail')} failed`, `${count('warn')} warnings`, `${count('ok')} ok`, `${count('skip')} skipped`].join(', ');
  lines.push('', `${bold('Result:')} ${paint(report.status, report.status.toUpperCase())} — ${summary}`);
  return `${lines.join('\n')}\n`;
}
