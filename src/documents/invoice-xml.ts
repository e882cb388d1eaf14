/**
 * The XML a buyer's system imports: one document per issued invoice, every field of it, UTF-8,
 * valid against docs/invoice.xsd. Element names follow the 数电票 XML specification ([LQ-XML],
 * domain.md §7.1) where it has one; the namespace is ours, since this is the gateway's own record.
 */
import { beijingTime } from '../domain/beijing-time.js';
import type { ComputedInvoiceJson, ComputedLineJson, SellerParty } from '../domain/invoice-json.js';
import { RED_FLUSH_REASON_CODES, type RedOf } from '../domain/red-flush.js';
import { TAX_RATES } from '../domain/tax-rate.js';
import { faceRemarks } from '../domain/invoice-face.js';
import { SPECIFIC_CODES, type SpecificBusiness } from '../domain/specific-business.js';
import { findTaxPolicy } from '../domain/tax-policy.js';

const INVOICE_XML_NAMESPACE = 'urn:fapiao-gateway:einvoice:1';


/** An issued invoice, as the documents show it. */
export interface IssuedInvoice {
  readonly id: string;
  readonly serialNo: string;
  readonly number: string;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly channel: string;
  /** Issued through the simulator: marked so nobody mistakes it for a real invoice. */
  readonly simulated: boolean;
  readonly invoice: Omit<ComputedInvoiceJson, 'seller' | 'lines'> & {
    readonly seller: SellerParty;
    /** A red invoice's lines each name the blue line they flush. */
    readonly lines: ReadonlyArray<ComputedLineJson & { readonly blueLine?: number }>;
    /** Set on a red invoice (红字发票): the blue invoice it flushes, and why. */
    readonly red?: RedOf;
  };
}


function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function element(name: string, value: string | undefined, indent: string): string {
  return value === undefined ? '' : `${indent}<${name}>${escape(value)}</${name}>\n`;
}

/** The seller's or buyer's block: the same fields under the party's prefix (SellerIdNum, BuyerIdNum …). */
function partyElements(
  prefix: 'Seller' | 'Buyer',
  party: { taxId?: string; name: string; address?: string; phone?: string; bankName?: string; bankAccount?: string; email?: string },
): string {
  const indent = '    ';
  return (
    `  <${prefix}Information>\n` +
    element(`${prefix}IdNum`, party.taxId, indent) +
    element(`${prefix}Name`, party.name, indent) +
    element(`${prefix}Addr`, party.address, indent) +
    element(`${prefix}TelNum`, party.phone, indent) +
    element(`${prefix}BankName`, party.bankName, indent) +
    element(`${prefix}BankAccNum`, party.bankAccount, indent) +
    element(`${prefix}Email`, party.email, indent) +
    `  </${prefix}Information>\n`
  );
}

const rateLabel = new Map(TAX_RATES.map((rate) => [rate.code, rate.label]));

/** The XML of an invoice, without its signature (see invoice-signature.ts). */
export function invoiceXml(issued: IssuedInvoice): string {
  const { invoice } = issued;
  const i2 = '    ';
  const i3 = '      ';
  const items = invoice.lines
    .map(
      (line, index) =>
        `${i2}<Item LineNo="${index + 1}" Nature="${line.nature}"${line.blueLine === undefined ? '' : ` BlueLineNo="${line.blueLine + 1}"`}>\n` +
        element('ItemName', line.name, i3) +
        element('TaxClassificationCode', line.taxCode, i3) +
        element('SpecMod', line.spec, i3) +
        element('MeaUnits', line.unit, i3) +
        element('Quantity', line.quantity, i3) +
        element('UnPrice', line.unitPriceExcludingTax, i3) +
        element('Amount', line.amountExcludingTax, i3) +
        element('TaxRate', line.taxRate, i3) +
        element('TaxRateLabel', rateLabel.get(line.taxRate) ?? line.taxRate, i3) +
        element('ComTaxAm', line.tax, i3) +
        element('TotaltaxIncludedAmount', line.amountIncludingTax, i3) +
        element('PreferentialPolicyCode', line.policy && findTaxPolicy(line.policy)?.code, i3) +
        element('Deduction', line.deduction, i3) +
        `${i2}</Item>\n`,
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<EInvoice xmlns="${INVOICE_XML_NAMESPACE}" Version="1">\n` +
    '  <Header>\n' +
    element('EIid', issued.number, i2) +
    element('InvoiceType', invoice.type, i2) +
    element('GeneralOrSpecialVAT', invoice.type === 'special' ? '01' : '02', i2) +
    element('IssueTime', beijingTime(issued.issuedAt), i2) +
    element('GatewayInvoiceId', issued.id, i2) +
    element('SerialNo', issued.serialNo, i2) +
    element('OrderNo', invoice.orderNo, i2) +
    element('Channel', issued.channel, i2) +
    element('Simulated', String(issued.simulated), i2) +
    '  </Header>\n' +
    // A red invoice names the blue one (被红冲蓝字数电发票号码) and the reason by the bureau's code.
    (invoice.red
      ? '  <RedEInvoice>\n' + element('OriginalInvoiceCode', invoice.red.blueNumber, i2) + element('RedReason', RED_FLUSH_REASON_CODES[invoice.red.reason].bureau, i2) + '  </RedEInvoice>\n'
      : '') +
    partyElements('Seller', invoice.seller) +
    partyElements('Buyer', invoice.buyer) +
    `  <IssuItemInformation PriceIncludesTax="${String(invoice.priceIncludesTax)}">\n` +
    items +
    '  </IssuItemInformation>\n' +
    '  <BasicInformation>\n' +
    element('TotalAmWithoutTax', invoice.totals.amount, i2) +
    element('TotalTaxAm', invoice.totals.tax, i2) +
    element('TotalTax-includedAmount', invoice.totals.total, i2) +
    element('TotalTax-includedAmountInChinese', invoice.totals.totalInWords, i2) +
    element('Drawer', invoice.drawer, i2) +
    element('Payee', invoice.payee, i2) +
    element('Reviewer', invoice.reviewer, i2) +
    element('BuyerNaturalPerson', invoice.buyer.naturalPerson ? 'Y' : undefined, i2) +
    element('DifferentialTaxation', invoice.taxation === 'differential' ? '02' : undefined, i2) +
    '  </BasicInformation>\n' +
    (invoice.specific ? specificXml(invoice.specific) : '') +
    remarkXml(faceRemarks(invoice)) +
    '</EInvoice>\n'
  );
}

function remarkXml(items: readonly string[]): string {
  return items.length === 0 ? '' : `  <AdditionalInformation>\n${element('Remark', items.join('\n'), '    ')}  </AdditionalInformation>\n`;
}

const flag = (value: boolean) => (value ? 'Y' : 'N');

/** 特定要素 ([LQ-XML] §四 SpecificInformation), one element per group, in the request's words. */
function specificXml(specific: SpecificBusiness): string {
  const i2 = '    ';
  const i3 = '      ';
  const group = (name: string, body: string) => `${i2}<${name}>\n${body}${i2}</${name}>\n`;
  let body = '';
  switch (specific.kind) {
    case 'property_lease':
      body = group(
        'RealPropertyLease',
        element('Province', specific.province, i3) + element('City', specific.city, i3) + element('Address', specific.address, i3) +
          element('LeaseFrom', specific.leaseFrom, i3) + element('LeaseTo', specific.leaseTo, i3) + element('CrossCity', flag(specific.crossCity), i3) +
          element('CertificateNo', specific.certificateNo, i3),
      );
      break;
    case 'construction':
      body = group(
        'ConstructionService',
        element('Province', specific.province, i3) + element('City', specific.city, i3) + element('Address', specific.address, i3) +
          element('ProjectName', specific.projectName, i3) + element('CrossCity', flag(specific.crossCity), i3) + element('LandVatProjectNo', specific.landVatProjectNo, i3),
      );
      break;
    case 'freight':
      body = specific.shipments
        .map((s) => group('Shipment', element('VehicleType', s.vehicleType, i3) + element('VehicleNo', s.vehicleNo, i3) + element('From', s.from, i3) + element('To', s.to, i3) + element('Goods', s.goods, i3)))
        .join('');
      break;
    case 'passenger':
      body = specific.travellers
        .map((t) =>
          group(
            'Traveller',
            element('Name', t.name, i3) + element('IdNumber', t.idNumber, i3) + element('Date', t.date, i3) + element('From', t.from, i3) + element('To', t.to, i3) +
              element('SeatClass', t.seatClass, i3) + element('VehicleType', t.vehicleType, i3),
          ),
        )
        .join('');
      break;
  }
  return `  <SpecificInformation Kind="${specific.kind}" Code="${SPECIFIC_CODES[specific.kind]}">\n${body}  </SpecificInformation>\n`;
}
