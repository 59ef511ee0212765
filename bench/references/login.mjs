// Reference: the login server a team writes in an afternoon instead of adopting weapp-auth —
// Fastify, a plain code2session call with fetch, an HS256 JWT (jose), no database, no refresh
// tokens, no revocation. What weapp-auth's login is measured against.
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { SignJWT } from 'jose';

const { WECHAT_API_BASE, APPID, SECRET, JWT_SECRET, PORT } = process.env;
const key = createHash('sha256')
  .update(JWT_SECRET ?? '')
  .digest();
const app = Fastify();

app.post('/v1/login', async (request, reply) => {
  const { code } = request.body ?? {};
  if (typeof code !== 'string') return reply.code(400).send({ error: 'code required' });
  const url = `${WECHAT_API_BASE}/sns/jscode2session?appid=${APPID}&secret=${SECRET}&js_code=${encodeURIComponent(code)}&grant_type=authorization_code`;
  const session = await (await fetch(url)).json();
  if (session.errcode) return reply.code(401).send({ error: session.errmsg });
  const token = await new SignJWT({ openid: session.openid })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(key);
  return { token, openid: session.openid };
});

await app.listen({ host: '127.0.0.1', port: Number(PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
