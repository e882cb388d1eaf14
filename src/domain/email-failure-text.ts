/**
 * What a tenant is told of a failed email: a fixed sentence for the kind of failure, never the
 * SMTP client's own words (they name the mail server's address and port, an operator's concern;
 * the full text is in the gateway's log).
 */
import type { Text } from './field-error.js';

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|timeout|timed out|Greeting never received|socket/i;
const REFUSED = /refused|rejected|\b5\d\d\b|\b4\d\d\b|auth/i;
const NOT_READY = /not stored yet/;

export function emailFailureText(message: string): Text {
  if (NOT_READY.test(message)) return { en: "the invoice's PDF and XML were not ready yet; the gateway tries again", zh: '发票的 PDF 和 XML 尚未生成，网关会自动重试' };
  if (UNREACHABLE.test(message)) return { en: 'the mail server could not be reached; the gateway tries again', zh: '无法连接邮件服务器，网关会自动重试' };
  if (REFUSED.test(message)) return { en: 'the mail server did not accept the message', zh: '邮件服务器未接受该邮件' };
  return { en: 'sending the email failed', zh: '邮件发送失败' };
}
