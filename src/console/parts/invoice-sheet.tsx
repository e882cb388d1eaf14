// An invoice as it prints (the layout of a 数电 invoice, simplified): title, number and date,
// buyer and seller, the lines, the 特定业务 block, the totals and the total in Chinese capitals,
// and 备注 in the platform's order — the same words as the PDF (src/domain/invoice-face.ts).
import { faceRemarks, specificTable } from '../../domain/invoice-face.js';
import { dateTime } from '../format';
import type { Invoice } from '../types';

const TITLES = { normal: '电子发票（普通发票）', special: '电子发票（增值税专用发票）' } as const;
const rateLabel = (rate: string) => (rate === 'free' ? '免税' : rate === 'none' ? '不征税' : `${Number(rate) * 100}%`);

function SpecificBlock({ specific }: { specific: NonNullable<Invoice['specific']> }) {
  const table = specificTable(specific);
  return (
    <div class="table-wrap specific" data-testid="specific-block">
      <table>
        <caption>{table.title}</caption>
        <thead>
          <tr>
            {table.columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, index) => (
            <tr key={index}>
              {row.map((cell, column) => (
                <td key={column}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function InvoiceSheet({ invoice }: { invoice: Invoice }) {
  const remarks = faceRemarks(invoice);
  return (
    <section class="sheet" aria-label={TITLES[invoice.type]} lang="zh-CN">
      <header>
        <h2>
          {invoice.kind === 'red' && <span class="red-mark">红字</span>}
          {TITLES[invoice.type]}
        </h2>
        <dl>
          <dt>发票号码</dt>
          <dd class="mono">{invoice.number ?? '—'}</dd>
          <dt>开票日期</dt>
          <dd>{dateTime(invoice.issuedAt)}</dd>
        </dl>
      </header>
      <div class="parties">
        <div>
          <h3>购买方信息</h3>
          <p>名称：{invoice.buyer.name}</p>
          <p>统一社会信用代码/纳税人识别号：{invoice.buyer.taxId ?? '—'}</p>
        </div>
        <div>
          <h3>销售方信息</h3>
          <p>名称：{invoice.seller.name}</p>
          <p>统一社会信用代码/纳税人识别号：{invoice.seller.taxId}</p>
        </div>
      </div>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">项目名称</th>
              <th scope="col">规格型号</th>
              <th scope="col">单位</th>
              <th scope="col" class="number">数量</th>
              <th scope="col" class="number">单价</th>
              <th scope="col" class="number">金额</th>
              <th scope="col" class="number">税率/征收率</th>
              <th scope="col" class="number">税额</th>
            </tr>
          </thead>
          <tbody>
            {invoice.lines.map((line, index) => (
              <tr key={index}>
                <td>{line.name}</td>
                <td>{line.spec ?? ''}</td>
                <td>{line.unit ?? ''}</td>
                <td class="number">{line.quantity ?? ''}</td>
                <td class="number">{line.unitPrice ?? ''}</td>
                <td class="number">{line.amountExcludingTax}</td>
                <td class="number">{rateLabel(line.taxRate)}</td>
                <td class="number">{line.tax}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colspan={5}>
                合计
              </th>
              <td class="number">¥{invoice.totals.amount}</td>
              <td />
              <td class="number">¥{invoice.totals.tax}</td>
            </tr>
            <tr>
              <th scope="row">价税合计（大写）</th>
              <td colspan={4} data-testid="total-in-words">
                {invoice.totals.totalInWords}
              </td>
              <th scope="row">（小写）</th>
              <td colspan={2} class="number">
                ¥{invoice.totals.total}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      {invoice.specific && <SpecificBlock specific={invoice.specific} />}
      {remarks.length > 0 && (
        <div class="remarks" data-testid="face-remarks">
          备注：
          {remarks.map((item, index) => (
            <p key={index}>{item}</p>
          ))}
        </div>
      )}
      {invoice.drawer && <p>开票人：{invoice.drawer}</p>}
    </section>
  );
}
