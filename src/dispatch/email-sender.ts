/**
 * Emails issued invoices to their buyers (docs/api.md "Delivering invoices to buyers"), on the one
 * leased-work pattern: claim due emails, read the stored PDF and XML, send with no transaction
 * open, and settle fenced by the claim — sent, or again after the retry schedule's next delay, or
 * failed when it runs out. An SMTP outage only delays mail; none is lost.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { SmtpMailer } from '../outbound/smtp-mailer.js';
import type { ComputedInvoiceJson, SellerParty } from '../domain/invoice-json.js';
import { invoiceMail } from '../domain/invoice-mail.js';
import { retryDelay } from '../domain/webhook-events.js';
import type { Clock } from '../runtime/clock.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { findDocument } from '../store/document-jobs.js';
import { leaseDueEmails, settleEmailFailure, settleEmailSent, type EmailLease } from '../store/email-deliveries.js';
import type { Database } from '../store/schema/index.js';
import { LeasedJobWorker } from './leased-worker.js';
import { errorMessage } from '../domain/error-message.js';

const CONTENT_TYPES = { pdf: 'application/pdf', xml: 'application/xml' } as const;

export class EmailSender extends LeasedJobWorker<EmailLease> {

  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly capabilities: StoreCapabilities;
      readonly mailer: SmtpMailer;
      readonly clock: Clock;
      readonly log: Logger;
      readonly events: GatewayEvents;
    },
    private readonly options: { readonly concurrency: number; readonly pollIntervalMs: number; readonly retryScheduleMs: readonly number[]; readonly leaseMs: number },
  ) {
    super((free) => leaseDueEmails(deps.db, deps.capabilities, deps.clock.now(), { limit: free, leaseMs: options.leaseMs }), { concurrency: options.concurrency, pollIntervalMs: options.pollIntervalMs, name: 'email sender' }, deps);
  }

  protected async work(lease: EmailLease): Promise<void> {
    const { db, clock, log, events } = this.deps;
    let messageId: string | undefined;
    let failure: string | undefined;
    try {
      const invoice = JSON.parse(lease.computedJson) as ComputedInvoiceJson & { seller: SellerParty; red?: unknown };
      const mail = invoiceMail(invoice, { number: lease.number ?? '', issuedAt: lease.issuedAt ?? clock.now() });
      const attachments = [];
      for (const attachment of mail.attachments) {
        const stored = await findDocument(db, lease.invoiceId, attachment.kind);
        // Mail is queued once the documents are stored; one missing was re-rendered meanwhile: later.
        if (!stored) throw new Error(`the invoice's ${attachment.kind.toUpperCase()} is not stored yet`);
        attachments.push({ filename: attachment.filename, content: stored.content, contentType: CONTENT_TYPES[attachment.kind] });
      }
      messageId = await this.deps.mailer.send({ to: lease.to, subject: mail.subject, text: mail.text, attachments });
    } catch (error) {
      failure = errorMessage(error);
    }
    const now = clock.now();
    try {
      if (messageId !== undefined) {
        const settled = await db.transaction().execute((tx) => settleEmailSent(tx, lease, { messageId: messageId, now }));
        if (settled === 'lost') log.warn({ deliveryId: lease.deliveryId }, 'email claim lost after sending; the mail may arrive twice');
        else events.emailTried({ invoiceId: lease.invoiceId, deliveryId: lease.deliveryId, outcome: 'sent' });
        return;
      }
      const delay = retryDelay(this.options.retryScheduleMs, lease.job.attempts + 1);
      const settled = await db.transaction().execute((tx) => settleEmailFailure(tx, lease, { message: failure ?? 'unknown failure', nextAt: delay === undefined ? undefined : now + delay, now }));
      if (settled !== 'lost') events.emailTried({ invoiceId: lease.invoiceId, deliveryId: lease.deliveryId, outcome: settled, error: failure ?? 'unknown failure' });
    } catch (error) {
      log.error({ err: error, deliveryId: lease.deliveryId }, 'could not settle an email try; the claim will expire and it goes again');
    }
  }
}
