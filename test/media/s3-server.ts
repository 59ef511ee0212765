import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AwsV4Signer } from 'aws4fetch';

/** s3rver's built-in account. */
export const S3_ACCESS_KEY_ID = 'S3RVER';
export const S3_SECRET_ACCESS_KEY = 'S3RVER';

export interface SeenRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** The SigV4 signature the client sent, if any. */
  signature: string | undefined;
  contentSha256: string | undefined;
  /** What the gate made of the signature; all but `mismatched` went on to s3rver. */
  verdict: Verdict;
}

export type Verdict = 'unsigned' | 'unknown key' | 'matched' | 'mismatched';

export interface TestS3 {
  /** http://127.0.0.1:<port>: path-style, like MinIO. */
  endpoint: string;
  bucket: string;
  /** Everything the server was asked, oldest first. */
  requests: SeenRequest[];
  /** The unsigned URL of an object (s3rver lets anonymous requests read). */
  objectUrl(name: string): string;
  close(): Promise<void>;
}

/**
 * s3rver (a pure-JS S3 server) on loopback, with a bucket, behind a gate that checks SigV4
 * signatures. s3rver runs in a child process (see s3rver-process.mjs for why); the gate, in this
 * process, records each request and passes the good ones on. s3rver 3.7.1 checks only that a SigV4 request names a known access key: its source
 * says "Signature version 4 calculation is unimplemented", and a wrong secret is accepted. The gate
 * recomputes each signature from the request as received, with the real secret, using aws4fetch's
 * signer (an independent SigV4 implementation would be the hand-rolled kind we avoid), and answers
 * 403 SignatureDoesNotMatch like S3 when it differs. Unsigned requests and unknown access keys go
 * through to s3rver, which reads anonymously and refuses unknown keys itself.
 */
export async function startS3(bucket = 'avatars'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'weapp-auth-s3rver-'));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url)), directory, bucket],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with ${code}`))),
  ])) as [string];
  const upstream = (JSON.parse(line) as { port: number }).port;
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = request(
      { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    check(req).then(
      ({ signature, verdict }) => {
        requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          signature,
          contentSha256: header(req, 'x-amz-content-sha256'),
          verdict,
        });
        if (verdict !== 'mismatched') return forward(req, res);
        req.resume();
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
            '<Message>The request signature we calculated does not match the signature you provided.</Message>' +
            `<AWSAccessKeyId>${S3_ACCESS_KEY_ID}</AWSAccessKeyId><SignatureProvided>${signature}</SignatureProvided></Error>`,
        );
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    requests,
    objectUrl: (name) => `${endpoint}/${bucket}/${name}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]+)$/;

async function check(req: IncomingMessage): Promise<{ signature: string | undefined; verdict: Verdict }> {
  const authorization = header(req, 'authorization');
  const match = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
  // Not SigV4 in a header (unsigned, or some other scheme): s3rver's to judge.
  if (!match) return { signature: undefined, verdict: 'unsigned' };
  const [, accessKeyId = '', region, service, signedHeaders = '', signature] = match;
  if (accessKeyId !== S3_ACCESS_KEY_ID) return { signature, verdict: 'unknown key' };
  const headers = new Headers();
  for (const name of signedHeaders.split(';')) if (name !== 'host') headers.set(name, header(req, name) ?? '');
  const expected = await new AwsV4Signer({
    method: req.method,
    url: `http://${header(req, 'host')}${req.url}`,
    headers,
    accessKeyId,
    secretAccessKey: S3_SECRET_ACCESS_KEY,
    region,
    service,
    datetime: header(req, 'x-amz-date'),
    // Exactly the headers the client signed, no more, no fewer.
    allHeaders: true,
  }).authHeader();
  return { signature, verdict: expected === authorization ? 'matched' : 'mismatched' };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
