/**
 * Sends mail through the operator's SMTP server (FAPIAO_SMTP_URL) with nodemailer, a well-kept
 * SMTP client: one pooled transport with time limits, so an SMTP outage fails a try quickly and the
 * email goes again later. It says what happened; src/dispatch decides what that means.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly attachments: ReadonlyArray<{ readonly filename: string; readonly content: Uint8Array; readonly contentType: string }>;
}

export class SmtpMailer {
  private readonly transport: Transporter;

  constructor(options: { readonly url: string; readonly from: string; readonly timeoutMs: number }) {
    const url = new URL(options.url);
    const secure = url.protocol === 'smtps:';
    const settings: SMTPPool.Options = {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : secure ? 465 : 587,
        secure,
        ...(url.username && { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
        pool: true,
        maxConnections: 2,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
    };
    this.transport = nodemailer.createTransport(settings, { from: options.from });
  }

  /** @returns the SMTP server's message id. @throws {Error} when the server did not take it */
  async send(mail: OutgoingMail): Promise<string> {
    const info = (await this.transport.sendMail({
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      attachments: mail.attachments.map((item) => ({ filename: item.filename, content: Buffer.from(item.content), contentType: item.contentType })),
    })) as { messageId: string; rejected?: unknown[] };
    if (Array.isArray(info.rejected) && info.rejected.length > 0) throw new Error(`the SMTP server refused ${mail.to}`);
    return info.messageId;
  }

  close(): void {
    this.transport.close();
  }
}
