#!/usr/bin/env node
// A minimal OAuth client for the test server, for tests that need a token
// (e.g. to log in to Dovecot with XOAUTH2) without driving mailferry.
// Prints the token endpoint's JSON response on stdout.
//
//   node client.mjs --env DIR/env device [--user NAME] [--scope S]
//       device authorization, approval through the server's pages (approve.mjs),
//       then polls the token endpoint as RFC 8628 says (interval, slow_down)
//   node client.mjs --env DIR/env cc [--scope S]
//       client credentials (secret from CC_CLIENT_SECRET_FILE, sent in the body)
//   node client.mjs --env DIR/env cc-cert [--scope S] [--aud URL] [--lifetime S] [--alg RS256|PS256]
//       client credentials for CC_CERT_CLIENT_ID with a client assertion
//       (private_key_jwt) signed by CC_KEY_FILE, in Microsoft's form: header
//       {alg RS256, typ JWT, x5t} (PS256: x5t#S256 instead of x5t), claims
//       aud (default TOKEN_URL), iss = sub = client id, jti, nbf, exp
//       (now + --lifetime, default 600)
//   node client.mjs --env DIR/env refresh REFRESH_TOKEN [--scope S]
//   node client.mjs --env DIR/env revoke TOKEN [--hint refresh_token|access_token]
//
// Default scopes: device "https://outlook.office.com/IMAP.AccessAsUser.All
// offline_access", cc "https://outlook.office365.com/.default".
// Exit status: 0 success, 1 an OAuth error (its JSON on stdout), 2 usage.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

function usage(msg) {
  if (msg) process.stderr.write(`client: ${msg}\n`);
  process.stderr.write('usage: client.mjs --env DIR/env (device [--user NAME] | cc | cc-cert [--aud URL] [--lifetime S] [--alg RS256|PS256] | refresh RT | revoke TOKEN) [--scope S]\n');
  process.exit(2);
}

// A token is base64url and one in 64 begins with '-', which parseArgs would
// take for an option: the word after refresh/revoke is taken out first.
const argv = process.argv.slice(2);
const tokenCommand = argv.findIndex((a) => a === 'refresh' || a === 'revoke');
const tokenArg = tokenCommand >= 0 && tokenCommand + 1 < argv.length
  ? argv.splice(tokenCommand + 1, 1)[0] : undefined;

let parsed;
try {
  parsed = parseArgs({
    args: argv,
    options: {
      env: { type: 'string' },
      user: { type: 'string', default: 'alice' },
      scope: { type: 'string' },
      hint: { type: 'string' },
      aud: { type: 'string' },
      lifetime: { type: 'string', default: '600' },
      alg: { type: 'string', default: 'RS256' },
    },
    allowPositionals: true,
  });
} catch (err) {
  usage(err.message);
}
const { values: opt, positionals } = parsed;
if (!opt.env) usage('--env is required');
const [cmd, extra] = positionals;
if (extra !== undefined) usage(`unexpected argument '${extra}'`);
const arg = tokenArg;
const env = Object.fromEntries(fs.readFileSync(opt.env, 'utf8').split('\n')
  .map((l) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l)).filter(Boolean)
  .map(([, k, v]) => [k, v.replace(/^'(.*)'$/, '$1')]));

async function post(url, form) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

function finish(r) {
  process.stdout.write(`${JSON.stringify(r.json)}\n`);
  process.exit(r.status === 200 ? 0 : 1);
}

const sleep = (s) => new Promise((resolve) => { setTimeout(resolve, s * 1000); });

if (cmd === 'device') {
  const scope = opt.scope ?? 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access';
  const da = await post(env.DEVICE_URL, { client_id: env.DEVICE_CLIENT_ID, scope });
  if (da.status !== 200) finish(da);
  execFileSync(process.execPath, [new URL('approve.mjs', import.meta.url).pathname, '--quiet',
    '--env', opt.env, '--user', opt.user, da.json.user_code], { stdio: 'inherit' });
  let interval = da.json.interval ?? 5;
  for (;;) {
    const r = await post(env.TOKEN_URL, {
      client_id: env.DEVICE_CLIENT_ID,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: da.json.device_code,
    });
    if (r.json.error === 'authorization_pending') {
      await sleep(interval);
    } else if (r.json.error === 'slow_down') {
      interval += 5;
      await sleep(interval);
    } else {
      finish(r);
    }
  }
} else if (cmd === 'cc') {
  const secret = fs.readFileSync(env.CC_CLIENT_SECRET_FILE, 'utf8').replace(/\r?\n$/, '');
  finish(await post(env.TOKEN_URL, {
    grant_type: 'client_credentials',
    client_id: env.CC_CLIENT_ID,
    client_secret: secret,
    scope: opt.scope ?? 'https://outlook.office365.com/.default',
  }));
} else if (cmd === 'cc-cert') {
  if (!env.CC_CERT_CLIENT_ID || !env.CC_KEY_FILE || !env.CC_CERT_FILE) usage(`no certificate client in ${opt.env}`);
  if (!['RS256', 'PS256'].includes(opt.alg)) usage('--alg must be RS256 or PS256');
  const lifetime = Number(opt.lifetime);
  if (!Number.isInteger(lifetime)) usage('--lifetime wants an integer');
  const der = new crypto.X509Certificate(fs.readFileSync(env.CC_CERT_FILE)).raw;
  const header = { alg: opt.alg, typ: 'JWT' };
  if (opt.alg === 'RS256') header.x5t = crypto.createHash('sha1').update(der).digest('base64url');
  else header['x5t#S256'] = crypto.createHash('sha256').update(der).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: opt.aud ?? env.TOKEN_URL,
    iss: env.CC_CERT_CLIENT_ID,
    sub: env.CC_CERT_CLIENT_ID,
    jti: crypto.randomUUID(),
    nbf: now,
    exp: now + lifetime,
  };
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  const key = crypto.createPrivateKey(fs.readFileSync(env.CC_KEY_FILE));
  const sig = crypto.sign('sha256', Buffer.from(input), opt.alg === 'RS256' ? key
    : { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  finish(await post(env.TOKEN_URL, {
    grant_type: 'client_credentials',
    client_id: env.CC_CERT_CLIENT_ID,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: `${input}.${sig.toString('base64url')}`,
    scope: opt.scope ?? 'https://outlook.office365.com/.default',
  }));
} else if (cmd === 'refresh' && arg) {
  const form = { grant_type: 'refresh_token', client_id: env.DEVICE_CLIENT_ID, refresh_token: arg };
  if (opt.scope) form.scope = opt.scope;
  finish(await post(env.TOKEN_URL, form));
} else if (cmd === 'revoke' && arg) {
  const form = { client_id: env.DEVICE_CLIENT_ID, token: arg };
  if (opt.hint) form.token_type_hint = opt.hint;
  const r = await post(env.REVOKE_URL, form);
  if (r.status === 200) process.exit(0);
  finish(r);
} else {
  usage();
}
