import type { Command } from 'commander';
import {
  decryptOpenData,
  decryptUncheckedOpenData,
  isOpenDataError,
  type OpenDataErrorCode,
} from '../../wechat/crypto/index.ts';
import { cliLanguage, say } from '../locale.ts';

/** What a developer should look at next, per failure. The error message already says what is wrong. */
const LIKELY_CAUSE: Record<OpenDataErrorCode, string> = {
  INVALID_SESSION_KEY:
    'Pass the session_key exactly as code2Session returned it (24 base64 characters). Quote it in the shell: it may contain "/" and "+".',
  INVALID_IV:
    'Pass the iv that came with this encryptedData, unchanged. A "+" lost in a URL shows up as a space: quote it.',
  MALFORMED_CIPHERTEXT:
    'The encryptedData was cut or altered on its way (a length limit on a column or a log line, a form encoding). Copy it whole.',
  DECRYPT_FAILED:
    'This session_key is not the one current when WeChat produced the data: a wx.login between getting the data and sending it rotated the key. Try the previous session_key of this user.',
  INVALID_PLAINTEXT: 'The key is right but the payload is not an open-data object; was this produced by WeChat?',
  WATERMARK_MISMATCH: 'The data belongs to another mini program: check --appid, or the app the client logged in with.',
  DATA_EXPIRED: 'The data is older than --max-age allows: collect it again on the client.',
  SIGNATURE_MISMATCH: 'rawData was altered, or signed with another session_key.',
};

/** The same in Chinese, with what failed first (the error's own message stays as a detail). */
const FAILURE_ZH: Record<OpenDataErrorCode, { what: string; cause: string }> = {
  INVALID_SESSION_KEY: {
    what: 'session_key 不是 16 字节数据的 base64 编码。',
    cause:
      '请原样传入 code2Session 返回的 session_key（24 个 base64 字符）。在 shell 中要加引号：它可能含有 "/" 和 "+"。',
  },
  INVALID_IV: {
    what: 'iv 不是 16 字节数据的 base64 编码。',
    cause: '请原样传入与这份 encryptedData 一起收到的 iv。URL 中丢失的 "+" 会变成空格：请加引号。',
  },
  MALFORMED_CIPHERTEXT: {
    what: 'encryptedData 不是合法的 base64，或解码后不是完整的 AES 分组。',
    cause: 'encryptedData 在传递途中被截断或改动（数据库字段或日志行的长度限制、表单编码）。请完整复制。',
  },
  DECRYPT_FAILED: {
    what: '无法用这个 session_key 解密 encryptedData。',
    cause:
      '这个 session_key 不是微信生成数据时的那个：在获取数据和发送数据之间调用了 wx.login，session_key 已更换。请试试这个用户的上一个 session_key。',
  },
  INVALID_PLAINTEXT: {
    what: '解密后的数据不是开放数据对象。',
    cause: '密钥正确，但内容不是开放数据对象；这份数据是微信生成的吗？',
  },
  WATERMARK_MISMATCH: {
    what: '这份数据的 watermark.appid 与预期不符。',
    cause: '数据属于另一个小程序：请检查 --appid，或客户端登录时使用的小程序。',
  },
  DATA_EXPIRED: {
    what: '数据已过期。',
    cause: '数据比 --max-age 允许的更旧：请在客户端重新获取。',
  },
  SIGNATURE_MISMATCH: {
    what: 'signature 与 sha1(rawData + session_key) 不一致。',
    cause: 'rawData 被改动过，或是用另一个 session_key 签名的。',
  },
};

interface DecryptFlags {
  sessionKey: string;
  iv: string;
  data: string;
  appid?: string;
  maxAge?: string;
}

export function registerDecrypt(program: Command): void {
  program
    .command('decrypt')
    .description('decrypt WeChat open data (encryptedData + iv) with a session_key, or explain exactly why it fails')
    .requiredOption('--session-key <key>', 'the user session_key (base64, 24 chars)')
    .requiredOption('--iv <iv>', 'the iv sent with the data (base64, 24 chars)')
    .requiredOption('--data <encryptedData>', 'the encryptedData (base64)')
    .option('--appid <appid>', 'check watermark.appid against this appid (recommended)')
    .option('--max-age <seconds>', 'also refuse data older than this many seconds')
    .action((flags: DecryptFlags) => {
      process.exitCode = runDecrypt(
        flags,
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
    });
}

/** Returns the process exit code: 0 decrypted, 1 failed with an explanation. */
export function runDecrypt(flags: DecryptFlags, out: (line: string) => void, err: (line: string) => void): number {
  try {
    const maxAgeSeconds = flags.maxAge === undefined ? undefined : Number(flags.maxAge);
    if (maxAgeSeconds !== undefined && !(Number.isInteger(maxAgeSeconds) && maxAgeSeconds >= 0)) {
      err(say({ en: 'error: --max-age must be a whole number of seconds', zh: '错误：--max-age 必须是整数秒' }));
      return 1;
    }
    if (maxAgeSeconds !== undefined && flags.appid === undefined) {
      err(
        say({
          en: 'error: --max-age needs --appid (the age is read from the checked watermark)',
          zh: '错误：--max-age 需要同时给出 --appid（数据的时间取自校验过的 watermark）',
        }),
      );
      return 1;
    }
    // Without --appid we still decrypt, and show the watermark instead of checking it.
    const data =
      flags.appid === undefined
        ? decryptUncheckedOpenData(flags.sessionKey, flags.iv, flags.data)
        : decryptOpenData(flags.sessionKey, flags.iv, flags.data, {
            appid: flags.appid,
            ...(maxAgeSeconds !== undefined && { maxAgeSeconds }),
          });
    out(JSON.stringify(data, null, 2));
    if (flags.appid === undefined) {
      err(
        say({
          en: 'note: watermark.appid was not checked; pass --appid to check it.',
          zh: '提示：没有校验 watermark.appid；传入 --appid 即可校验。',
        }),
      );
    }
    return 0;
  } catch (e) {
    if (!isOpenDataError(e)) throw e;
    if (cliLanguage() === 'zh') {
      err(`${e.code}：${FAILURE_ZH[e.code].what}（${e.message}）`);
      err(`可能的原因：${FAILURE_ZH[e.code].cause}`);
      return 1;
    }
    err(`${e.code}: ${e.message}`);
    err(`likely cause: ${LIKELY_CAUSE[e.code]}`);
    return 1;
  }
}
