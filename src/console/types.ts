// The shapes the console reads from /v1, as the API publishes them: the TypeBox schemas of
// src/api/schemas, imported as types only (nothing of the server is bundled), so a change to the
// API that the pages do not follow fails the console's type check instead of drifting.
import type { Static } from 'typebox';
import type { ChannelList as ChannelListSchema, DoctorAnswer } from '../api/schemas/channel.js';
import type { InvoiceList as InvoiceListSchema, InvoiceResource, Timeline } from '../api/schemas/invoice.js';
import type { QuotaSchema } from '../api/schemas/quota.js';

export type Invoice = Static<typeof InvoiceResource>;
export type Line = Invoice['lines'][number];
export type InvoiceList = Static<typeof InvoiceListSchema>;
export type ChannelList = Static<typeof ChannelListSchema>;
export type Channel = ChannelList['data'][number];
export type TimelineEntry = Static<typeof Timeline>['data'][number];
export type DoctorReport = Static<typeof DoctorAnswer>;
export type Quota = Static<typeof QuotaSchema>;
