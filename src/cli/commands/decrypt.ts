import type { Command } from 'commander';
import {
  decryptOpenData,
  decryptUncheckedOpenData,
  isOpenDataError,
  type OpenDataErrorCode,
} from '../../wechat/crypto/index.ts';

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
      err('error: --max-age must be a whole number of seconds');
      return 1;
    }
    if (maxAgeSeconds !== undefined && flags.appid === undefined) {
      err('error: --max-age needs --appid (the age is read from the checked watermark)');
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
    if (flags.appid === undefined) err('note: watermark.appid was not checked; pass --appid to check it.');
    return 0;
  } catch (e) {
    if (!isOpenDataError(e)) throw e;
    err(`${e.code}: ${e.message}`);
    err(`likely cause: ${LIKELY_CAUSE[e.code]}`);
    return 1;
  }
}
