import type { Language, Localized } from '../i18n/index.ts';

/**
 * The language of the CLI's own messages (configuration and start-up problems, `decrypt`):
 * `--lang zh|en`, else the system locale as POSIX reads it (LC_ALL, then LC_MESSAGES, then LANG;
 * the first one set decides), Chinese for any `zh*` locale (zh_CN.UTF-8, zh_TW…), else English.
 */
export function localeLanguage(env: Readonly<Record<string, string | undefined>>): Language {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value !== '');
  return locale !== undefined && /^zh([_.@-]|$)/i.test(locale) ? 'zh' : 'en';
}

/** The value of `--lang`, or undefined when it is not one we speak. */
export function parseLanguage(value: string): Language | undefined {
  const lower = value.trim().toLowerCase();
  if (lower === 'en' || lower.startsWith('en-') || lower.startsWith('en_')) return 'en';
  if (lower === 'zh' || lower.startsWith('zh-') || lower.startsWith('zh_')) return 'zh';
  return undefined;
}

let current: Language = localeLanguage(process.env);

export function cliLanguage(): Language {
  return current;
}

/** Set once by the global `--lang` option, before a command runs. */
export function setCliLanguage(language: Language): void {
  current = language;
}

/** The text in the CLI's language. */
export function say(text: Localized): string {
  return text[current];
}

/**
 * A configuration problem of src/config in Chinese. The English wording is the catalogue (it is
 * what the tests and the README quote); these patterns follow it, and a problem none of them
 * knows is shown as it is (test/cli/locale.test.ts makes every common one known).
 */
const CONFIG_PROBLEMS_ZH: [RegExp, (m: RegExpExecArray) => string][] = [
  [
    /^WEAPP_APPS is required/,
    () => '缺少 WEAPP_APPS：格式为 appid:secret[,appid:secret...]，在 mp.weixin.qq.com → 开发管理 → 开发设置 中获取',
  ],
  [
    /^WEAPP_APPS entry (\d+) must be appid:secret/,
    (m) =>
      `WEAPP_APPS 的第 ${m[1]} 项必须是 appid:secret：appid 为 "wx" 加 16 位字母或数字，AppSecret 为 32 位十六进制字符（mp.weixin.qq.com → 开发管理 → 开发设置）`,
  ],
  [/^WEAPP_APPS lists (\S+) twice/, (m) => `WEAPP_APPS 中 ${m[1]} 出现了两次`],
  [
    /^WEAPP_SECRET_KEY is required/,
    () =>
      '缺少 WEAPP_SECRET_KEY：32 个随机字节的 base64 或 hex，例如 `openssl rand -base64 32`。它加密静态存储的 session_key 和签名密钥；重启之间、各实例之间必须保持一致。',
  ],
  [
    /^WEAPP_SECRET_KEY must be 32 bytes/,
    () => 'WEAPP_SECRET_KEY 必须是 32 字节的 base64（44 个字符）或 hex（64 个字符）',
  ],
  [
    /^WEAPP_SECRET_KEY_PREVIOUS entry (\d+) must be 32 bytes/,
    (m) => `WEAPP_SECRET_KEY_PREVIOUS 的第 ${m[1]} 项必须是 32 字节的 base64（44 个字符）或 hex（64 个字符）`,
  ],
  [
    /^DATABASE_URL must be postgres:.*"([^"]*)" is not supported/,
    (m) =>
      `DATABASE_URL 必须是 postgres://user:password@host:5432/database（PostgreSQL）或 sqlite:<路径>（SQLite）；不支持 "${m[1]}"`,
  ],
  [/^DATABASE_URL: (.*)$/, (m) => `DATABASE_URL 有误：${m[1]}`],
  [
    /^(\w+) must be a whole number between (\S+) and (\S+) \(got "(.*)"\)$/,
    (m) => `${m[1]} 必须是 ${m[2]} 到 ${m[3]} 之间的整数（当前为 "${m[4]}"）`,
  ],
  [/^(\w+) must be one of (.*) \(got "(.*)"\)$/, (m) => `${m[1]} 必须是以下之一：${m[2]}（当前为 "${m[3]}"）`],
  [/^LOG_LEVEL must be one of (.*)$/, (m) => `LOG_LEVEL 必须是以下之一：${m[1]}`],
  [
    /^WECHAT_API_BASE must be an http\(s\) URL \(got "(.*)"\)$/,
    (m) => `WECHAT_API_BASE 必须是 http(s) URL（当前为 "${m[1]}"）`,
  ],
  [/^REDIS_URL must start with/, () => 'REDIS_URL 必须以 redis:// 或 rediss:// 开头'],
  [
    /^PUBLIC_URL must be an http\(s\) URL without query or fragment \(got "(.*)"\)$/,
    (m) => `PUBLIC_URL 必须是不带查询参数和片段的 http(s) URL（当前为 "${m[1]}"）`,
  ],
  [
    /^METRICS_TOKEN must be at least 16 characters/,
    () => 'METRICS_TOKEN 至少需要 16 个字符（例如 `openssl rand -hex 16`）',
  ],
  [/^(\S+) is required with MEDIA_STORE=s3: (.*)$/, (m) => `MEDIA_STORE=s3 时必须设置 ${m[1]}：${m[2]}`],
  [
    /^SHUTDOWN_DELAY_MS must be shorter than SHUTDOWN_TIMEOUT_MS/,
    () => 'SHUTDOWN_DELAY_MS 必须小于 SHUTDOWN_TIMEOUT_MS（排空发生在超时时间之内）',
  ],
  [
    /^WEAPP_PUSH entry (\d+) must start with an appid of WEAPP_APPS/,
    (m) => `WEAPP_PUSH 的第 ${m[1]} 项必须以 WEAPP_APPS 中的 appid 开头`,
  ],
  [/^WEAPP_PUSH lists (\S+) twice/, (m) => `WEAPP_PUSH 中 ${m[1]} 出现了两次`],
];

export function configProblemZh(problem: string): string {
  for (const [pattern, render] of CONFIG_PROBLEMS_ZH) {
    const m = pattern.exec(problem);
    if (m) return render(m);
  }
  return problem;
}

/** ConfigError's text in the CLI's language: a heading, then one line per problem. */
export function configErrorText(problems: readonly string[]): string {
  if (current === 'en') return `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
  return `配置有误：\n${problems.map((p) => `  - ${configProblemZh(p)}`).join('\n')}`;
}
