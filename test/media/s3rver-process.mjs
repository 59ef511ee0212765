// s3rver in a process of its own, started by s3-server.ts with --openssl-legacy-provider: s3rver
// 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17 and later)
// keeps in its legacy provider, so without it every truncated listing page fails with a 500.
// Usage: node --openssl-legacy-provider s3rver-process.mjs <directory> <bucket>; prints {"port":n}.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
// Ends with its parent however that ends: the parent's end of stdin closes.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
