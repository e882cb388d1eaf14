/**
 * The doctor's knowledge base: for every finding code, the likely cause and what operators in this
 * field do about it, in Chinese and English. Data only: to teach the doctor something new, add an
 * entry here (and a row in docs/doctor.md; a test keeps the two in step).
 */
import { BAIWANG_FINDINGS } from '../channels/baiwang/baiwang-codes.js';
import type { Remedy } from './check.js';

export interface Knowledge {
  readonly cause: Remedy;
  readonly remedy: Remedy;
}

export const KNOWLEDGE = {
  // ── local: the machine the gateway runs on ──────────────────────────────────────────────────
  'local.disk_low': {
    cause: {
      zh: '数据目录所在磁盘空间不足：SQLite 无法提交新发票，PDF/XML 无法生成，日志可能写满磁盘。',
      en: 'The disk holding the data directory is nearly full: SQLite cannot commit new invoices, documents cannot be rendered, logs may fill what is left.',
    },
    remedy: {
      zh: '清理或轮转日志（logrotate）、删除旧备份，或扩容磁盘；用 df -h 确认。为磁盘使用率设置告警（node_exporter 的 node_filesystem_avail_bytes）。',
      en: 'Rotate or delete logs (logrotate), move old backups away, or grow the volume; confirm with df -h. Alert on it (node_exporter node_filesystem_avail_bytes).',
    },
  },
  'local.data_readable_by_others': {
    cause: {
      zh: '数据目录或数据库文件对其他用户可读：其中有购买方名称、税号、银行账号和 API 密钥的摘要，同一台机器上的其他账户可以复制它们。',
      en: "The data directory or the database is readable by other users: it holds buyers' names, tax IDs and bank accounts and the API keys' hashes, which any other account on the machine could copy.",
    },
    remedy: {
      zh: '收紧权限：chmod 700 数据目录；chmod 600 fapiao.db fapiao.db-wal fapiao.db-shm；备份目录同样处理。新版网关创建的文件已是这些权限。',
      en: 'Tighten the modes: chmod 700 on the data directory; chmod 600 on fapiao.db, fapiao.db-wal and fapiao.db-shm; the same for backups. Files this gateway creates already have these modes.',
    },
  },
  'local.data_dir_not_writable': {
    cause: {
      zh: '网关进程无法写入数据目录（权限不足、目录属主不对、只读挂载或路径是文件）：发票无法落盘，PDF 下载失败。',
      en: 'The gateway process cannot write to its data directory (permissions, wrong owner, a read-only mount, or the path is a file): invoices cannot be stored and document downloads fail.',
    },
    remedy: {
      zh: '把目录属主改为运行网关的用户（chown -R fapiao: DIR）并授予写权限（chmod u+rwx DIR）；容器中检查卷是否以只读方式挂载；或用 FAPIAO_DATA_DIR 指向可写目录。',
      en: 'Give the directory to the user the gateway runs as (chown -R fapiao: DIR; chmod u+rwx DIR); in a container check the volume is not mounted read-only; or point FAPIAO_DATA_DIR at a writable directory.',
    },
  },
  'local.fd_limit_low': {
    cause: {
      zh: '进程可打开的文件数上限（ulimit -n）低于网关所需：并发连接、数据库文件和渲染线程会耗尽句柄，出现 EMFILE "too many open files"。',
      en: 'The open-files limit (ulimit -n) is below what the gateway needs: upstream connections, database files and render threads run out of descriptors (EMFILE, "too many open files").',
    },
    remedy: {
      zh: 'systemd 服务中设置 LimitNOFILE=65536；容器用 --ulimit nofile=65536:65536；或在 /etc/security/limits.conf 中提高 nofile 后重新登录。',
      en: 'Set LimitNOFILE=65536 in the systemd unit, --ulimit nofile=65536:65536 for a container, or raise nofile in /etc/security/limits.conf and log in again.',
    },
  },
  'local.clock_unsynced': {
    cause: {
      zh: '系统时钟未与 NTP 同步：时间会慢慢漂移，签名、令牌和开票日期随之出错。',
      en: 'The system clock is not synchronised with NTP: it drifts, and with it signatures, tokens and invoice dates.',
    },
    remedy: {
      zh: '启用时间同步：timedatectl set-ntp true，或安装并启动 chrony（chronyc tracking 查看状态）；内网可指向 ntp.aliyun.com 或单位自己的 NTP 服务器。',
      en: 'Turn time sync on: timedatectl set-ntp true, or install and start chrony (chronyc tracking shows its state); on an internal network point it at ntp.aliyun.com or your own NTP server.',
    },
  },
  // ── db: the gateway's database ──────────────────────────────────────────────────────────────
  'db.unreachable': {
    cause: {
      zh: '网关连不上数据库：PostgreSQL 未启动、地址/端口/密码错误、防火墙拦截，或 SQLite 文件不存在/无法打开。此时网关不接受任何开票请求。',
      en: 'The gateway cannot reach its database: PostgreSQL is down, the address, port or password is wrong, a firewall is in the way, or the SQLite file is missing or cannot be opened. The gateway accepts nothing until it can.',
    },
    remedy: {
      zh: '检查 DATABASE_URL（psql "$DATABASE_URL" -c "select 1"）与数据库服务状态（systemctl status postgresql）；SQLite 检查 --db 路径与文件权限。',
      en: 'Check DATABASE_URL (psql "$DATABASE_URL" -c "select 1") and the server (systemctl status postgresql); for SQLite check the --db path and the file permissions.',
    },
  },
  'db.secrets_key_missing': {
    cause: {
      zh: '数据库中有加密保存的密钥（webhook 签名密钥、通道令牌），但本机既没有 FAPIAO_SECRETS_KEY 也没有 data/secrets.key：多半是从备份恢复时没有带上 secrets.key。此时所有 webhook 都无法签名发送。',
      en: 'The database holds sealed secrets (webhook signing secrets, channel tokens) but this installation has neither FAPIAO_SECRETS_KEY nor data/secrets.key: most likely a restore that left secrets.key behind. No webhook can be signed.',
    },
    remedy: {
      zh: '把原安装的 data/secrets.key（fapiao backup 会一并备份）复制到数据目录并设为 600 权限，或设置原来的 FAPIAO_SECRETS_KEY，然后重启网关。密钥确已丢失时，删除并重新创建 webhook 订阅（新密钥只显示一次）。',
      en: "Copy the old installation's data/secrets.key (fapiao backup takes it along) into the data directory with mode 600, or set the old FAPIAO_SECRETS_KEY, and restart the gateway. If the key is truly lost, delete and re-create the webhook subscriptions (each new secret is shown once).",
    },
  },
  'db.secrets_key_wrong': {
    cause: {
      zh: '数据库中加密保存的密钥无法用当前密钥解开：FAPIAO_SECRETS_KEY 或 data/secrets.key 被更换，或多个网关进程使用了不同的密钥。',
      en: 'Secrets sealed in the database do not open with the key in use: FAPIAO_SECRETS_KEY or data/secrets.key was changed, or gateway processes use different keys.',
    },
    remedy: {
      zh: '恢复原来的密钥（备份中的 secrets.key 或原 FAPIAO_SECRETS_KEY）；多节点部署时所有进程设置同一个 FAPIAO_SECRETS_KEY。',
      en: 'Put the old key back (secrets.key from the backup, or the old FAPIAO_SECRETS_KEY); on several nodes give every process the same FAPIAO_SECRETS_KEY.',
    },
  },
  'db.not_primary': {
    cause: {
      zh: '网关连到的 PostgreSQL 不可写：它是备库（正在恢复/流复制中），或被设为只读。主备切换后 DATABASE_URL 仍指向旧主库时常见。此时所有开票请求都会失败。',
      en: 'The PostgreSQL the gateway reaches takes no writes: it is a standby (in recovery, streaming) or set read-only. Common after a switchover when DATABASE_URL still names the old primary. Every issue request fails.',
    },
    remedy: {
      zh: '把 DATABASE_URL 指向主库：使用 Patroni + HAProxy 的读写端口、CloudNativePG 的 -rw 服务，或列出全部节点并加 target_session_attrs=read-write（postgres://u@h1:5432,h2:5432/fapiao?target_session_attrs=read-write），网关会自动找到主库并在切换后跟随。',
      en: 'Point DATABASE_URL at the primary: the read-write port of Patroni + HAProxy, the CloudNativePG -rw service, or every host with target_session_attrs=read-write (postgres://u@h1:5432,h2:5432/fapiao?target_session_attrs=read-write): the gateway finds the primary and follows a switchover.',
    },
  },
  'db.not_migrated': {
    cause: {
      zh: '数据库结构版本落后于网关程序：升级后尚未运行迁移。',
      en: 'The database schema is older than the gateway: migrations have not run since an upgrade.',
    },
    remedy: {
      zh: '启动一次新版本的 fapiao serve（启动时自动迁移，并发安全），再重新运行 fapiao doctor。',
      en: 'Start the new version of fapiao serve once (it migrates at start, safely with several processes), then run fapiao doctor again.',
    },
  },
  'db.slow': {
    cause: {
      zh: '数据库往返时间过长：网络延迟、数据库负载高或磁盘慢。每张发票的受理都要等待一次提交。',
      en: 'Database round trips are slow: network latency, a busy server or a slow disk. Every accepted invoice waits for one commit.',
    },
    remedy: {
      zh: '让网关与数据库同机房部署；用 pg_stat_activity 与 pg_stat_statements 查慢查询；检查磁盘 IO（iostat -x 1）。',
      en: 'Run the gateway next to its database; look for slow queries in pg_stat_activity and pg_stat_statements; check disk I/O (iostat -x 1).',
    },
  },
  'db.pool_low': {
    cause: {
      zh: 'PostgreSQL 剩余可用连接不足以再启动一个网关进程（max_connections 已接近用尽）。',
      en: 'PostgreSQL has too few free connections left for another gateway process (max_connections is nearly used up).',
    },
    remedy: {
      zh: '提高 max_connections 并重启 PostgreSQL，或在前面加 PgBouncer（事务模式）；查 pg_stat_activity 找出占用连接的程序。',
      en: 'Raise max_connections and restart PostgreSQL, or put PgBouncer (transaction mode) in front; find who holds connections in pg_stat_activity.',
    },
  },
  // ── dns ──────────────────────────────────────────────────────────────────────────────────────
  'dns.nxdomain': {
    cause: {
      zh: '域名不存在（NXDOMAIN）：地址拼写错误、域名已过期或服务商更换了接口域名，也可能是内网 DNS 没有这条记录。',
      en: 'The name does not exist (NXDOMAIN): a typo in the address, an expired domain, a provider that moved its API to a new name, or an internal DNS without the record.',
    },
    remedy: {
      zh: '核对通道地址与服务商文档；用 dig NAME 与 dig @223.5.5.5 NAME 比较内外网结果；内网专线地址需在内网 DNS 或 /etc/hosts 中配置。',
      en: 'Check the channel address against the provider\'s documentation; compare dig NAME with dig @223.5.5.5 NAME; a private-line address must be in your internal DNS or /etc/hosts.',
    },
  },
  'dns.timeout': {
    cause: {
      zh: 'DNS 服务器没有应答：解析服务器宕机、被防火墙拦截（UDP/TCP 53），或网络不通。',
      en: 'The DNS server did not answer: it is down, a firewall blocks port 53 (UDP and TCP), or the network is cut.',
    },
    remedy: {
      zh: '检查 /etc/resolv.conf 中的 nameserver 是否可达（dig @SERVER NAME）；放通 53 端口；必要时换用可靠的解析服务器（如 223.5.5.5、119.29.29.29）或本地缓存（systemd-resolved、dnsmasq）。',
      en: 'Check the nameservers in /etc/resolv.conf answer (dig @SERVER NAME); open port 53; if needed use a reliable resolver (223.5.5.5, 119.29.29.29) or a local cache (systemd-resolved, dnsmasq).',
    },
  },
  'dns.servfail': {
    cause: {
      zh: 'DNS 服务器返回 SERVFAIL：上游权威服务器故障、DNSSEC 校验失败，或解析服务器自身出错。',
      en: 'The DNS server answered SERVFAIL: the authoritative servers are failing, DNSSEC validation failed, or the resolver itself is broken.',
    },
    remedy: {
      zh: '用 dig +trace NAME 找出哪一级出错；换一个解析服务器对比；若是服务商的域名，联系服务商。',
      en: 'Find the failing level with dig +trace NAME; compare with another resolver; if the name is the provider\'s, tell the provider.',
    },
  },
  'dns.slow': {
    cause: {
      zh: '域名解析慢（超过 200 毫秒）：解析服务器远或负载高，或 TTL 太短导致每次都要重新查询。每个新连接都要先等解析。',
      en: 'Name resolution is slow (over 200 ms): a distant or busy resolver, or a TTL so short that every lookup goes upstream. Every new connection waits for it.',
    },
    remedy: {
      zh: '在本机启用 DNS 缓存（systemd-resolved、nscd 或 dnsmasq），或换用更近的解析服务器；与服务商确认记录 TTL 合理（≥ 300 秒）。',
      en: 'Cache on the host (systemd-resolved, nscd or dnsmasq) or use a nearer resolver; ask the provider for a sensible TTL (300 s or more).',
    },
  },
  'dns.failed': {
    cause: {
      zh: '域名解析失败，原因不属于常见类别（见详情中的错误码）。',
      en: 'Name resolution failed for a reason outside the usual ones (see the error code in the detail).',
    },
    remedy: {
      zh: '用 dig NAME 与 getent hosts NAME 分别检查 DNS 与本机解析配置（/etc/nsswitch.conf、/etc/hosts）。',
      en: 'Check DNS and the host\'s own resolution separately: dig NAME and getent hosts NAME (/etc/nsswitch.conf, /etc/hosts).',
    },
  },
  // ── tcp ──────────────────────────────────────────────────────────────────────────────────────
  'tcp.refused': {
    cause: {
      zh: '连接被拒绝（RST）：目标主机在，但该端口上没有服务在监听——服务未启动、端口写错，或防火墙以拒绝方式拦截。',
      en: 'Connection refused: the host is there but nothing listens on the port — the service is down, the port is wrong, or a firewall rejects the connection.',
    },
    remedy: {
      zh: '核对端口；在服务端用 ss -ltnp 确认服务在监听；检查安全组和防火墙（iptables/firewalld）是否放通该端口。',
      en: 'Check the port; on the server confirm something listens (ss -ltnp); open the port in the security group and firewall (iptables/firewalld).',
    },
  },
  'tcp.timeout': {
    cause: {
      zh: '连接超时：数据包被丢弃而无应答——防火墙或安全组静默丢包、出口未放通、专线/VPN 中断，或目标主机宕机。',
      en: 'Connection timed out: packets are dropped without an answer — a firewall or security group drops them silently, egress is closed, a private line or VPN is down, or the host is off.',
    },
    remedy: {
      zh: '从本机用 nc -vz HOST PORT 与 traceroute -T -p PORT HOST 定位丢包位置；请网络管理员放通到该地址和端口的出站访问；税务专线请检查专线设备。',
      en: 'Find where packets stop: nc -vz HOST PORT and traceroute -T -p PORT HOST; ask the network team to allow egress to that address and port; for a tax private line, check the line\'s equipment.',
    },
  },
  'tcp.unreachable': {
    cause: {
      zh: '网络不可达：本机没有到目标地址的路由，或中间路由器回报主机不可达。',
      en: 'Network unreachable: this host has no route to the address, or a router on the way reports the host unreachable.',
    },
    remedy: {
      zh: '检查路由表（ip route get ADDRESS）、默认网关与 VPN/专线状态；IPv6 地址不可达时可优先使用 IPv4。',
      en: 'Check the route (ip route get ADDRESS), the default gateway and the VPN or private line; if only IPv6 is unreachable, prefer IPv4.',
    },
  },
  // ── tls ──────────────────────────────────────────────────────────────────────────────────────
  'tls.cert_expired': {
    cause: {
      zh: '对方的证书已过期：所有校验证书的客户端都会拒绝连接，这是"开票服务器连接异常"最常见的原因之一。',
      en: 'The server\'s certificate has expired: every client that checks certificates refuses it — one of the most common causes of "cannot connect to the invoicing server".',
    },
    remedy: {
      zh: '通知服务端续期证书；自己管理的服务请立即续期，并用 ACME（certbot、acme.sh）自动续期，同时对证书到期时间设告警。不要关闭证书校验。',
      en: 'Have the server\'s owner renew it; if it is yours, renew now and automate renewal with ACME (certbot, acme.sh), and alert on expiry. Do not turn certificate checks off.',
    },
  },
  'tls.cert_expiring': {
    cause: {
      zh: '对方证书将在 30 天内过期；过期当天起开票会全部失败。',
      en: 'The server\'s certificate expires within 30 days; from that day on every call will fail.',
    },
    remedy: {
      zh: '提前续期；使用 ACME（certbot、acme.sh）自动续期并确认续期任务在运行（certbot renew --dry-run）；第三方服务请发函提醒服务商。',
      en: 'Renew it ahead of time; automate renewal with ACME (certbot, acme.sh) and check the renewal job runs (certbot renew --dry-run); for a provider\'s server, tell the provider.',
    },
  },
  'tls.cert_not_yet_valid': {
    cause: {
      zh: '证书的生效时间在未来：多半是本机时钟错误（偏慢），少数情况是服务端刚换上了尚未生效的证书。',
      en: 'The certificate\'s validity starts in the future: usually this host\'s clock is wrong (behind), sometimes the server just installed a certificate that is not yet valid.',
    },
    remedy: {
      zh: '先校准本机时间（timedatectl、chronyc makestep）；时间正确时请服务端换回有效证书。',
      en: 'First fix this host\'s clock (timedatectl, chronyc makestep); if the clock is right, the server must install a currently valid certificate.',
    },
  },
  'tls.hostname_mismatch': {
    cause: {
      zh: '证书上的域名与访问的地址不符：用 IP 访问了只签发给域名的证书、地址写错，或负载均衡上挂错了证书。',
      en: 'The certificate is for another name than the one connected to: an IP address used where the certificate names a domain, a wrong address, or the wrong certificate on a load balancer.',
    },
    remedy: {
      zh: '用证书中列出的域名（见详情）配置通道地址；或请服务端在证书 SAN 中加入该名称。不要关闭主机名校验。',
      en: 'Use a name the certificate lists (see the detail) in the channel address, or have the server add the name to the certificate\'s SAN. Do not turn hostname checks off.',
    },
  },
  'tls.untrusted': {
    cause: {
      zh: '证书链不受信任：自签名证书、私有 CA 签发的证书，或服务端没有发送中间证书。',
      en: 'The certificate chain is not trusted: a self-signed certificate, one from a private CA, or a server that does not send its intermediate certificates.',
    },
    remedy: {
      zh: '私有 CA（如政务/专线环境）：把 CA 证书交给网关（NODE_EXTRA_CA_CERTS=/path/ca.pem，doctor 用 --ca）；缺中间证书：请服务端配置完整证书链（fullchain.pem）；用 openssl s_client -connect HOST:443 -showcerts 查看。',
      en: 'A private CA (common on government or private-line networks): give its certificate to the gateway (NODE_EXTRA_CA_CERTS=/path/ca.pem; --ca for the doctor). Missing intermediates: the server must send its full chain (fullchain.pem). Inspect with openssl s_client -connect HOST:443 -showcerts.',
    },
  },
  'tls.handshake_failed': {
    cause: {
      zh: 'TLS 握手失败：对方端口不是 HTTPS（如把 http 地址写成 https）、双方没有共同支持的协议版本或加密套件，或中间设备干扰。',
      en: 'The TLS handshake failed: the port does not speak HTTPS (an http address written as https), no protocol version or cipher in common, or a middlebox interferes.',
    },
    remedy: {
      zh: '确认地址的协议（http/https）与端口；用 openssl s_client -connect HOST:PORT -servername HOST 查看握手细节；老旧服务端请升级到 TLS 1.2 以上。',
      en: 'Check the scheme (http or https) and port; see the handshake with openssl s_client -connect HOST:PORT -servername HOST; an old server must move to TLS 1.2 or later.',
    },
  },
  'tls.protocol_old': {
    cause: {
      zh: '对方只协商出 TLS 1.0/1.1：这些版本已被弃用，新版 Node.js/OpenSSL 随时可能拒绝连接。',
      en: 'The server negotiated TLS 1.0 or 1.1: deprecated versions that current Node.js and OpenSSL may refuse at any update.',
    },
    remedy: {
      zh: '请服务端启用 TLS 1.2/1.3。',
      en: 'Ask the server\'s owner to enable TLS 1.2 or 1.3.',
    },
  },
  // ── http ─────────────────────────────────────────────────────────────────────────────────────
  'http.status_5xx': {
    cause: {
      zh: '对方服务器返回 5xx：平台故障、维护或过载（503 常伴随 Retry-After）。网关会自动重试，发票不会丢失也不会重复开具。',
      en: 'The server answers 5xx: the platform is failing, in maintenance or overloaded (503 often with Retry-After). The gateway keeps retrying; nothing is lost or issued twice.',
    },
    remedy: {
      zh: '查看服务商/税务平台的公告与状态页；如有 Retry-After，按其时间等待；持续超过 15 分钟请联系服务商并提供时间段与流水号；可配置第二个通道作为备用。',
      en: 'Check the provider\'s or platform\'s announcements and status page; wait as long as Retry-After says; if it lasts past 15 minutes, contact the provider with the times and serial numbers; consider a second channel for failover.',
    },
  },
  'http.rate_limited': {
    cause: {
      zh: '对方限流（429）：单位时间内请求超过了服务商给的配额。',
      en: 'Rate limited (429): more calls per unit of time than the provider\'s quota allows.',
    },
    remedy: {
      zh: '按 Retry-After 等待（网关会自动退避）；降低 FAPIAO_CONCURRENCY；长期不够用时与服务商协商提高配额，或把开票分散到多个通道。',
      en: 'Wait as long as Retry-After says (the gateway backs off by itself); lower FAPIAO_CONCURRENCY; if the quota is too small for your volume, negotiate a higher one or spread issuing over several channels.',
    },
  },
  'http.timeout': {
    cause: {
      zh: '已建立连接，但对方在时限内没有应答：服务端处理过慢、挂起，或中间代理吞掉了响应。',
      en: 'Connected, but no answer in time: the server is too slow or hung, or a proxy on the way swallows the answer.',
    },
    remedy: {
      zh: '用 curl -w "%{time_starttransfer}" 测量响应时间；联系服务商；网关对超时的请求会先查询再决定是否重发，不会重复开票。',
      en: 'Measure with curl -w "%{time_starttransfer}"; contact the provider. The gateway resolves timed-out calls by query before sending again, so nothing is issued twice.',
    },
  },
  'http.slow': {
    cause: {
      zh: '对方应答很慢（首字节时间超过 1 秒）：平台负载高或网络拥塞，开票吞吐会随之下降。',
      en: 'The server answers slowly (over 1 s to the first byte): a busy platform or a congested network; issuing throughput drops with it.',
    },
    remedy: {
      zh: '关注服务商状态；避开开票高峰（月末、月初申报期）；确认 FAPIAO_RESPONSE_TIMEOUT_MS 足够长。',
      en: 'Watch the provider\'s status; avoid the busiest hours (month end and the filing days at month start); make sure FAPIAO_RESPONSE_TIMEOUT_MS leaves enough time.',
    },
  },
  'http.no_ping': {
    cause: {
      zh: '服务器有应答，但没有参考协议的 /api/v1/ping 接口：地址可能少了路径前缀，或指向了别的服务。',
      en: 'The server answers but has no /api/v1/ping of the reference protocol: the address may lack a path prefix, or point at another service.',
    },
    remedy: {
      zh: '核对通道地址（含路径前缀）是否为开票接口的基础地址。',
      en: 'Check the channel address (with any path prefix) is the base address of the invoicing API.',
    },
  },
  'http.status_4xx': {
    cause: {
      zh: '对方以 4xx 拒绝了健康检查请求：可能需要认证、IP 白名单未放通，或地址不对。',
      en: 'The server refused the health check with a 4xx: it may need authentication, an IP allow-list may not include this host, or the address is wrong.',
    },
    remedy: {
      zh: '向服务商确认接口地址，并把本机出口 IP 加入白名单（curl ifconfig.me 之类的手段在内网不可用时，问网络管理员）。',
      en: 'Confirm the address with the provider and have this host\'s egress IP allow-listed (ask the network team for the egress address).',
    },
  },
  // ── clock ────────────────────────────────────────────────────────────────────────────────────
  'clock.skew': {
    cause: {
      zh: '本机时间与服务器相差过大：签名时间戳、访问令牌会被拒绝（相差超过 5 分钟基本必然失败），发票日期也可能出错。',
      en: 'This host\'s clock and the server\'s disagree: signed timestamps and access tokens are refused (beyond 5 minutes almost always), and invoice dates may be wrong.',
    },
    remedy: {
      zh: '启用 NTP 同步（timedatectl set-ntp true 或 chrony：chronyc makestep 立即校准）；虚拟机检查宿主机时间；若本机正确而服务器时间错误，请通知服务商。',
      en: 'Sync with NTP (timedatectl set-ntp true, or chrony: chronyc makestep to step now); on a VM check the host\'s clock; if this host is right and the server is wrong, tell the provider.',
    },
  },
  // ── upstream ────────────────────────────────────────────────────────────────────────────────
  'upstream.auth_refused': {
    cause: {
      zh: '对方拒绝了网关的凭据（401/403）：密钥或证书过期、被重置，或需要重新登录（短信/人脸认证）。此时该通道会被暂停，等待人工处理。',
      en: 'The upstream refused the gateway\'s credentials (401/403): an expired or reset key or certificate, or a login that needs renewing (SMS or face verification). The channel is paused until a person acts.',
    },
    remedy: {
      zh: '在服务商控制台重新获取或续期凭据并更新配置；税务数字账户需重新完成身份认证；完成后重启网关或等待暂停结束。',
      en: 'Renew or fetch new credentials in the provider\'s console and update the configuration; for a tax digital account, redo the identity verification; then restart the gateway or let the pause run out.',
    },
  },
  'upstream.drawer_logged_out': {
    cause: {
      zh: '数电开票员（分机号对应的办税人员）已退出电子税务局登录，或需要重新实名认证（刷脸）：此时开票请求会被拒绝，通道将暂停，发票在队列中等待，不会丢失。',
      en: 'The 数电 drawer (the tax officer behind the extension number) is logged out of the 电子税务局, or must confirm their identity again (face scan): invoices would be refused, so the channel pauses and they wait in the queue, none lost.',
    },
    remedy: {
      zh: '请开票员在诺诺控制台（或诺诺 App）扫码或短信登录电子税务局并完成实名认证；登录后网关在 30 秒内察觉并自动恢复该通道，无需重启。',
      en: 'Have the drawer log in to the 电子税务局 in the 诺诺 console (or app) by QR code or SMS and confirm their identity; the gateway notices within 30 s and resumes the channel by itself, no restart needed.',
    },
  },
  'upstream.error': {
    cause: {
      zh: '认证通过后，对方对一次无副作用的查询给出了非预期的答复（见详情）。',
      en: 'With the connection up, the upstream gave an unexpected answer to a harmless query (see the detail).',
    },
    remedy: {
      zh: '用详情中的状态码与内容联系服务商；确认通道地址指向的是正确的接口版本。',
      en: 'Contact the provider with the status and answer in the detail; check the channel address points at the right API version.',
    },
  },
  // ── gateway: the running gateway's own view ───────────────────────────────────────────────────
  'gateway.unreachable': {
    cause: {
      zh: '本机没有在运行的网关进程应答（或地址不对），因此读不到熔断器状态。',
      en: 'No running gateway answers at the address, so its circuit states cannot be read.',
    },
    remedy: {
      zh: '启动网关（fapiao serve 或 systemctl start fapiao），或用 --gateway URL 指向它。',
      en: 'Start the gateway (fapiao serve, or systemctl start fapiao), or point --gateway URL at it.',
    },
  },
  'gateway.channel_unknown': {
    cause: {
      zh: '正在运行的网关没有这个名字的通道：网关启动时用的通道配置与本次检查的不一致。',
      en: 'The running gateway has no channel by this name: it was started with other channels than the ones checked here.',
    },
    remedy: {
      zh: '让 fapiao serve 与 fapiao doctor 使用同一份通道配置（FAPIAO_CHANNELS），修改后重启网关。',
      en: 'Give fapiao serve and fapiao doctor the same channel configuration (FAPIAO_CHANNELS) and restart the gateway after changing it.',
    },
  },
  'gateway.circuit_open': {
    cause: {
      zh: '网关对该通道的熔断器已打开：近期连续失败，网关暂停发送以免加重对方负担；发票在队列中等待，不会丢失。',
      en: 'The gateway\'s circuit breaker for the channel is open: calls kept failing, so it stopped sending for a while; invoices wait in the queue, none is lost.',
    },
    remedy: {
      zh: '按上面网络各层的结果修复根因；熔断器会自动半开试探并在成功后关闭，无需重启。',
      en: 'Fix the cause the network layers above point to; the breaker half-opens by itself and closes after a success, no restart needed.',
    },
  },
  'gateway.channel_paused': {
    cause: {
      zh: '通道因凭据被拒、或开票员登录失效而暂停：重试无济于事，需要人工处理（暂停原因见详情）。',
      en: 'The channel is paused because its credentials were refused or its drawer\'s login lapsed: retrying cannot help, a person must act (the reason is in the detail).',
    },
    remedy: {
      zh: '凭据问题见 upstream.auth_refused：更新凭据后重启网关或等待暂停结束；登录失效见 upstream.drawer_logged_out：开票员重新登录后通道自动恢复。',
      en: 'For credentials see upstream.auth_refused: renew them, then restart the gateway or let the pause run out; for a lapsed login see upstream.drawer_logged_out: the channel resumes by itself once the drawer logs in again.',
    },
  },
  'gateway.backlog_old': {
    cause: {
      zh: '最早的待开发票已等待超过 15 分钟：通道不可用、被限流或熔断。发票已安全落库，恢复后会自动开具。',
      en: 'The oldest pending invoice has waited more than 15 minutes: a channel is down, rate limited or its breaker is open. The invoices are safely stored and will be issued when it recovers.',
    },
    remedy: {
      zh: '根据同一报告中通道各层的结果排除故障；告知业务方开票将延迟；如需加快，可配置备用通道。',
      en: 'Clear the fault the channel layers of this report point to; tell the business that invoices are delayed; a second channel can take over meanwhile.',
    },
  },
  'gateway.quota_runs_out': {
    cause: {
      zh: '按当前开票速度，该销售方当月发票额度将在一天内用完；用完后平台拒绝一切开票，直到税务机关调增额度。网关不会把额度不足的发票送去被拒，而是让其等待额度。',
      en: 'At the current pace this seller\'s monthly invoice quota (发票额度) runs out within a day; after that the platform refuses every invoice until the tax office raises it. The gateway does not send invoices to be refused: they wait for quota.',
    },
    remedy: {
      zh: '今天就在电子税务局申请人工赋额调整（发票额度调整申请），说明原因并附证明；同时可为高优先级发票设置预留额度（PUT /v1/sellers/{taxId}/quota）。详见 docs/runbook.md#fapiaoquotarunsoutwithinday。',
      en: 'Apply today for a 人工赋额调整 in the 电子税务局 (发票额度调整申请), with the reason and proof; meanwhile keep a reserve for high-priority invoices (PUT /v1/sellers/{taxId}/quota). See docs/runbook.md#fapiaoquotarunsoutwithinday.',
    },
  },
  'gateway.quota_low': {
    cause: {
      zh: '该销售方当月发票额度剩余不足十分之一（已计入在途发票）。',
      en: 'Less than a tenth of this seller\'s monthly invoice quota is left once the invoices on their way are issued.',
    },
    remedy: {
      zh: '在月末高峰前申请调增额度；查看 usedElsewhere，确认是否有人在电子税务局或其他系统开票。',
      en: 'Ask for a raise before the month-end peak; check usedElsewhere to see whether someone issues in the 电子税务局 or another system.',
    },
  },
  'gateway.attempts_failing': {
    cause: {
      zh: '最近的上游调用多数失败（按错误类别统计见详情）。',
      en: 'Most recent upstream calls failed (counts by error class in the detail).',
    },
    remedy: {
      zh: '对照 docs/errors.md 中的通道错误码与本报告的网络层结果处理；dns_failed/connect_failed 看 DNS 与防火墙，tls_failed 看证书，rate_limited 看配额。',
      en: 'Read the channel error codes in docs/errors.md together with this report\'s network layers: dns_failed and connect_failed point at DNS and firewalls, tls_failed at certificates, rate_limited at quotas.',
    },
  },
  // ── upstream, 百望's own refusals: read from the adapter's code table, one entry a code ───────
  ...(Object.fromEntries(Object.entries(BAIWANG_FINDINGS).map(([code, entry]) => [`upstream.baiwang_${code}`, { cause: entry.cause, remedy: entry.remedy }])) as Record<`upstream.baiwang_${string}`, Knowledge>),
} as const satisfies Record<string, Knowledge>;

/** For `<layer>.check_failed`: a check that broke instead of finding something. */
const CHECK_FAILED: Knowledge = {
  cause: {
    zh: '检查本身出错了（详情中是未预料到的错误），该层的结论未知。',
    en: 'The check itself broke (the detail shows an error the doctor did not expect); this layer\'s verdict is unknown.',
  },
  remedy: {
    zh: '按详情中的错误排查；用 --json 保存完整报告，连同 fapiao --version 一起提交问题。',
    en: 'Act on the error in the detail; keep the full report (--json) and report it with the output of fapiao --version.',
  },
};

/** The remedy text for a code: the likely cause, then what to do. */
export function remedyFor(code: string): Remedy | null {
  const entry = (KNOWLEDGE as Record<string, Knowledge | undefined>)[code] ?? (code.endsWith('.check_failed') ? CHECK_FAILED : undefined);
  if (!entry) return null;
  return { zh: `${entry.cause.zh} 处理：${entry.remedy.zh}`, en: `${entry.cause.en} Fix: ${entry.remedy.en}` };
}
