// The console's words in Chinese (the default) and English; the choice is kept in the browser.
import { signal } from '@preact/signals';

export type Language = 'zh' | 'en';

const WORDS = {
  brand: ['发票网关', 'Fapiao Gateway'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  signIn: ['登录', 'Sign in'],
  signOut: ['退出', 'Sign out'],
  signInTitle: ['登录发票网关控制台', 'Sign in to the Fapiao Gateway console'],
  totpCode: ['动态口令', 'Authenticator code'],
  totpHint: ['身份验证器上的 6 位数字，或一个恢复码', 'the 6 digits from your authenticator app, or a recovery code'],
  security: ['账户安全', 'Security'],
  secondFactorTitle: ['双因素认证（动态口令）', 'Second factor (authenticator codes)'],
  secondFactorOn: ['已开启：登录时需要身份验证器上的动态口令。', 'On: signing in asks for the code from your authenticator app.'],
  secondFactorOff: ['未开启。开启后，登录时除密码外还需身份验证器（如 Microsoft Authenticator、Google 身份验证器、阿里云 App）上的动态口令。', 'Off. Once on, signing in asks for the code from an authenticator app (Microsoft Authenticator, Google Authenticator, …) as well as the password.'],
  secondFactorRequired: ['管理员要求您先开启双因素认证，才能使用控制台。', 'You must turn on the second factor before using the console.'],
  secondFactorStart: ['开启双因素认证', 'Turn on the second factor'],
  secondFactorScan: ['用身份验证器扫描二维码（或手动输入密钥），再输入它显示的 6 位数字：', 'Scan the QR code with your authenticator app (or type the secret), then enter the 6 digits it shows:'],
  secondFactorSecret: ['密钥', 'Secret'],
  secondFactorConfirm: ['确认', 'Confirm'],
  recoveryCodesTitle: ['恢复码（只显示这一次）', 'Recovery codes (shown only now)'],
  recoveryCodesHint: ['手机丢失时，每个恢复码可代替动态口令使用一次。请打印或抄下，与手机分开保存。', 'If the phone is lost, each code stands in for the authenticator once. Print or write them down and keep them apart from the phone.'],
  invoices: ['发票', 'Invoices'],
  issue: ['开票', 'Issue'],
  channels: ['通道', 'Channels'],
  switchLanguage: ['English', '中文'],
  orderNo: ['订单号', 'Order number'],
  buyer: ['购买方', 'Buyer'],
  buyerName: ['购买方名称', 'Buyer name'],
  buyerTaxId: ['购买方税号', 'Buyer tax ID'],
  buyerEmail: ['购买方邮箱', 'Buyer email'],
  buyerAddress: ['购买方地址', 'Buyer address'],
  buyerPhone: ['购买方电话', 'Buyer phone'],
  buyerBankName: ['购买方开户银行', "Buyer's bank"],
  buyerBankAccount: ['购买方银行账号', "Buyer's bank account"],
  specialNeedsBuyer: ['增值税专用发票须填写购买方的税号、地址、开户银行及账号（标 * 者必填；电话可填）。', 'A special VAT invoice names the buyer in full: tax ID, address, bank and account (* required; the phone is optional).'],
  drawer: ['开票人', 'Drawer'],
  computedAsYouType: ['填写后自动计算税额与价税合计', 'Tax and totals are computed as you type'],
  seller: ['销售方', 'Seller'],
  total: ['价税合计', 'Total'],
  amount: ['金额', 'Amount'],
  tax: ['税额', 'Tax'],
  status: ['状态', 'Status'],
  stage: ['阶段', 'Stage'],
  number: ['发票号码', 'Invoice number'],
  createdAt: ['创建时间', 'Created'],
  issuedAt: ['开票日期', 'Issued'],
  from: ['起始日期', 'From'],
  to: ['截止日期', 'To'],
  any: ['全部', 'Any'],
  search: ['查询', 'Search'],
  next: ['下一页', 'Next page'],
  previous: ['上一页', 'Previous page'],
  exportCsv: ['导出 CSV', 'Export CSV'],
  exportExcel: ['导出 Excel', 'Export Excel'],
  exporting: ['正在导出', 'Exporting'],
  retrySelected: ['重试所选', 'Retry selected'],
  retrying: ['正在重试', 'Retrying'],
  retryFailed: ['以下发票未能重试：', 'Not retried:'],
  exportFailed: ['导出失败：', 'The export failed: '],
  retry: ['重试', 'Retry'],
  noInvoices: ['没有符合条件的发票', 'No invoices match'],
  pending: ['处理中', 'Pending'],
  issued: ['已开具', 'Issued'],
  rejected: ['被拒绝', 'Rejected'],
  failed: ['失败', 'Failed'],
  queued: ['排队中', 'Queued'],
  submitting: ['提交中', 'Submitting'],
  uncertain: ['结果待确认', 'Outcome being confirmed'],
  awaiting_result: ['上游开具中', 'Upstream issuing'],
  awaiting_confirmation: ['等待对方确认红字确认单', 'Waiting for the buyer to confirm'],
  downloadPdf: ['下载 PDF', 'Download PDF'],
  downloadXml: ['下载 XML', 'Download XML'],
  redFlush: ['红冲', 'Red-flush'],
  resend: ['重新发送邮件', 'Email again'],
  send: ['发送', 'Send'],
  timeline: ['处理记录', 'Timeline'],
  traceId: ['链路追踪 ID（在 Jaeger/Tempo 等中查找整条链路）', 'Trace id (find the whole path in Jaeger, Tempo …)'],
  lastError: ['最近错误', 'Last error'],
  reason: ['冲红原因', 'Reason'],
  sales_return: ['销货退回', 'Sales return'],
  issued_in_error: ['开票有误', 'Issued in error'],
  service_stopped: ['服务中止', 'Service stopped'],
  sales_allowance: ['销售折让', 'Sales allowance'],
  redWhole: ['全额红冲（冲销剩余全部）', 'Whole: everything left'],
  redPart: ['部分红冲（按行填写数量或金额）', 'In part: quantities or amounts by line'],
  redFlushScope: ['红冲范围', 'What to flush'],
  chooseReason: ['请选择冲红原因', 'Choose a reason'],
  redFlushCheck: ['核对红字发票', 'Check the red invoice'],
  redFlushConfirmTitle: ['确认红冲', 'Confirm the red-flush'],
  redFlushWillIssue: ['将开具红字发票：', 'This issues a red invoice:'],
  redFlushConfirm: ['确认开具红字发票', 'Issue the red invoice'],
  redFlushBack: ['返回修改', 'Back'],
  line: ['行', 'Line'],
  quantity: ['数量', 'Quantity'],
  unitPrice: ['单价', 'Unit price'],
  unit: ['单位', 'Unit'],
  spec: ['规格型号', 'Spec'],
  taxRate: ['税率', 'Tax rate'],
  taxCode: ['税收分类编码', 'Tax code'],
  itemName: ['项目名称', 'Item'],
  items: ['项目明细', 'Items'],
  addLine: ['添加一行', 'Add a line'],
  remove: ['删除', 'Remove'],
  type: ['发票类型', 'Invoice type'],
  normal: ['普通发票', 'Normal invoice'],
  special: ['增值税专用发票', 'Special VAT invoice'],
  normalShort: ['普票', 'Normal'],
  specialShort: ['专票', 'Special'],
  blueShort: ['蓝字', 'Blue'],
  redShort: ['红字', 'Red'],
  filters: ['筛选条件', 'Filters'],
  priceIncludesTax: ['单价含税', 'Prices include tax'],
  remarks: ['备注', 'Remarks'],
  submitIssue: ['开具发票', 'Issue invoice'],
  preview: ['预览', 'Preview'],
  inWords: ['价税合计（大写）', 'Total in words'],
  fixErrors: ['请修正标出的问题', 'Please fix the marked problems'],
  circuit: ['熔断', 'Circuit'],
  healthy: ['正常', 'Healthy'],
  down: ['连接异常', 'Down'],
  paused: ['已暂停', 'Paused'],
  isolated: ['已隔离', 'Isolated'],
  recovering: ['恢复探测中', 'Probing'],
  errorRate: ['失败率', 'Error rate'],
  latency: ['响应时间', 'Latency'],
  certificate: ['证书到期', 'Certificate expires'],
  lastSuccess: ['最近成功', 'Last success'],
  backlog: ['在此通道排队', 'Waiting on this channel'],
  waitingTotal: ['排队中的发票', 'Invoices waiting'],
  waitingUnbound: ['尚未分配通道', 'not yet given to a channel'],
  cause: ['原因', 'Cause'],
  remedy: ['处理办法', 'What to do'],
  runDoctor: ['运行诊断', 'Run the doctor'],
  running: ['诊断中…', 'Running…'],
  isolate: ['隔离', 'Isolate'],
  restore: ['恢复', 'Restore'],
  layer: ['层', 'Layer'],
  check: ['检查项', 'Check'],
  detail: ['详情', 'Detail'],
  loading: ['加载中…', 'Loading…'],
  none: ['无', 'None'],
  deliveries: ['邮件发送', 'Emails'],
  sent: ['已发送', 'Sent'],
  signedInAs: ['当前用户', 'Signed in as'],
  operator: ['运维', 'Operator'],
  admin: ['管理员', 'Admin'],
  clerk: ['开票员', 'Clerk'],
  viewer: ['查看者', 'Viewer'],
  notFound: ['未找到', 'Not found'],
  back: ['返回列表', 'Back to the list'],
  kindRed: ['红字发票', 'Red invoice'],
  redOf: ['被红冲蓝字发票', 'Flushes blue invoice'],
  redFlushable: ['可冲红余额', 'Left to flush'],
  confirm: ['确定', 'Confirm'],
  layer_local: ['本机', 'This machine'],
  layer_db: ['数据库', 'Database'],
  layer_dns: ['域名解析', 'DNS'],
  layer_tcp: ['网络连接', 'TCP'],
  layer_tls: ['TLS 证书', 'TLS'],
  layer_http: ['HTTP', 'HTTP'],
  layer_clock: ['时钟', 'Clock'],
  layer_upstream: ['上游凭据', 'Upstream'],
  layer_gateway: ['网关', 'Gateway'],
  check_ok: ['正常', 'OK'],
  check_warn: ['警告', 'Warning'],
  check_fail: ['失败', 'Failed'],
  check_skip: ['跳过', 'Skipped'],
  errorCode: ['错误代码', 'Error code'],
  upstreamWords: ['上游原文', "The upstream's words"],
  cancel: ['取消', 'Cancel'],
} as const satisfies Record<string, readonly [string, string]>;

export type Word = keyof typeof WORDS;

const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem('fapiao.language');
export const language = signal<Language>(saved === 'en' ? 'en' : 'zh');

export function setLanguage(next: Language): void {
  language.value = next;
  localStorage.setItem('fapiao.language', next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

export function t(word: Word): string {
  return WORDS[word][language.value === 'zh' ? 0 : 1];
}

/** A problem's or field error's words in the chosen language (the API gives both). */
export function say(text: { message?: string; messageZh?: string; title?: string; detail?: string }): string {
  if (language.value === 'zh') return text.messageZh ?? text.title ?? text.message ?? '';
  return text.message ?? text.detail ?? text.title ?? '';
}

/** A text the API gives in both languages ({ zh, en }), in the chosen one. */
export function words(text: { readonly zh: string; readonly en: string } | null | undefined): string | null {
  return text ? text[language.value] : null;
}

export function isWord(text: string): text is Word {
  return text in WORDS;
}

/** A problem document's title ("English / 中文") in the chosen language. */
export function problemWords(problem: { title: string }): string {
  const [en, zh] = problem.title.split(' / ');
  return (language.value === 'zh' ? zh : en) ?? problem.title;
}
