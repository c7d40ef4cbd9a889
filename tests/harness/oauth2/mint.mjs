#!/usr/bin/env node
// Mints a JWT access token outside the authorization server, for negative
// tests of the resource server (Dovecot): expired, not yet valid, wrong typ,
// wrong user, wrong issuer, or signed by a key nobody trusts.  Tokens that
// should be valid come from the server itself (client.mjs, approve.mjs).
//
//   node mint.mjs --env DIR/env [--user NAME] [--expires-in S] [--typ T] [--forge]
//                 [--iss URL] [--claims JSON] [--no-kid]
//
// --env DIR/env   the server's env (SIGNING_KEY, ALG, KID, ISSUER)
// --user NAME     sub and upn (default alice)
// --expires-in S  exp = now + S; negative for an expired token (default 3600)
// --typ T         header typ (default JWT; "at+jwt" is what Dovecot 2.3.19 refuses)
// --forge         sign with a fresh key of the same type under the same kid
// --iss URL       iss claim (default the server's ISSUER)
// --claims JSON   more claims, merged last (e.g. '{"scope":"x"}')
// --no-kid        leave kid out of the header (Dovecot then looks up key "default")
// Prints the token on stdout.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

function usage(msg) {
  if (msg) process.stderr.write(`mint: ${msg}\n`);
  process.stderr.write('usage: mint.mjs --env DIR/env [--user NAME] [--expires-in S] [--typ T] [--forge] [--iss URL] [--claims JSON] [--no-kid]\n');
  process.exit(2);
}

let opt;
try {
  opt = parseArgs({
    options: {
      env: { type: 'string' },
      user: { type: 'string', default: 'alice' },
      'expires-in': { type: 'string', default: '3600' },
      typ: { type: 'string', default: 'JWT' },
      forge: { type: 'boolean', default: false },
      iss: { type: 'string' },
      claims: { type: 'string' },
      'no-kid': { type: 'boolean', default: false },
    },
    allowPositionals: false,
  }).values;
} catch (err) {
  usage(err.message);
}
if (!opt.env) usage('--env is required');
const env = Object.fromEntries(fs.readFileSync(opt.env, 'utf8').split('\n')
  .map((l) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l)).filter(Boolean)
  .map(([, k, v]) => [k, v.replace(/^'(.*)'$/, '$1')]));
const expiresIn = Number(opt['expires-in']);
if (!Number.isInteger(expiresIn)) usage('--expires-in wants an integer');

let key = crypto.createPrivateKey(fs.readFileSync(env.SIGNING_KEY));
if (opt.forge) {
  key = env.ALG === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

const now = Math.floor(Date.now() / 1000);
const header = { alg: env.ALG, typ: opt.typ };
if (!opt['no-kid']) header.kid = env.KID;
const payload = {
  jti: crypto.randomBytes(16).toString('base64url'),
  sub: opt.user,
  upn: opt.user,
  iat: Math.min(now, now + expiresIn - 1),
  exp: now + expiresIn,
  scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
  client_id: env.DEVICE_CLIENT_ID ?? 'mailferry-device',
  iss: opt.iss ?? env.ISSUER,
  aud: 'https://outlook.office.com',
  ...(opt.claims ? JSON.parse(opt.claims) : {}),
};
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const input = `${b64(header)}.${b64(payload)}`;
const sig = crypto.sign('sha256', Buffer.from(input), env.ALG === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
process.stdout.write(`${input}.${sig.toString('base64url')}\n`);
