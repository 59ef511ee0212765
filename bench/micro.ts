import { signAccessToken, verifyAccessToken } from '../src/tokens/access-token.ts';
import { generateSigningKey, KeyRing } from '../src/tokens/key-ring.ts';
import { decryptOpenData, verifyRawDataSignature } from '../src/wechat/crypto/index.ts';

/** In-process micro-benchmarks of the crypto on the hot paths, as a Markdown table. */
export async function microBenches(): Promise<string> {
  const rows: string[] = [];
  const record = (what: string, n: number, ms: number) => {
    rows.push(
      `| ${what} | ${n} | ${Math.round((n / ms) * 1000).toLocaleString('en')} /s | ${((ms * 1000) / n).toFixed(1)} µs |`,
    );
  };
  const time = async (what: string, n: number, fn: () => unknown) => {
    for (let i = 0; i < Math.min(n, 500); i++) await fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    record(what, n, performance.now() - t0);
  };
  const v = {
    appId: 'wx4f4bc4dec97d474b',
    sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
    iv: 'r7BXXKkLb8qrSNn05n0qiA==',
    encryptedData:
      'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==',
  };
  await time('decryptOpenData (official vector, 400 B)', 50_000, () =>
    decryptOpenData(v.sessionKey, v.iv, v.encryptedData, { appid: v.appId }),
  );
  await time('verifyRawDataSignature', 100_000, () =>
    verifyRawDataSignature(
      '{"nickName":"Band"}',
      '75e81ceda165f4ffa64f4068af58c64b8f54b88c',
      'HyVFkGl5F5OQWJZZaNzBBg==',
    ),
  );
  const ring = await KeyRing.from([await generateSigningKey(Date.now())]);
  const input = {
    userId: 'u_x',
    appid: v.appId,
    sessionId: 's_x',
    openid: 'o_x',
    issuer: 'weapp-auth',
    ttlSeconds: 7200,
  };
  const token = await signAccessToken(ring, { ...input, now: Date.now() });
  await time('sign access token (EdDSA)', 20_000, () => signAccessToken(ring, { ...input, now: Date.now() }));
  await time('verify access token (EdDSA)', 20_000, () =>
    verifyAccessToken(ring, token, { issuer: 'weapp-auth', audiences: [v.appId], now: Date.now() }),
  );
  return ['| in process | n | throughput | per call |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
