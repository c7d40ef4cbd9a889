#!/usr/bin/env node
// Approves (or denies) a device code the way a user with a browser would,
// with plain HTTP requests through the test server's own pages:
//   GET /devicelogin, POST the user code, POST the confirmation, GET the
//   sign-in page, POST the user name, GET the consent page, POST the consent,
//   and the success page at the end.  Cookies are kept, redirects followed.
//
//   node approve.mjs (--env DIR/env | --issuer URL) [--user NAME] [--deny] [--quiet] USER_CODE
//
// --user NAME   the account that signs in (default: alice)
// --deny        press "Abort" on the confirmation page: the client's next poll
//               gets access_denied
// Exit status: 0 approved (or denied, with --deny), 1 the server refused (the
// message says why: unknown or expired code, unknown user...), 2 usage.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

function usage(msg) {
  if (msg) process.stderr.write(`approve: ${msg}\n`);
  process.stderr.write('usage: approve.mjs (--env DIR/env | --issuer URL) [--user NAME] [--deny] [--quiet] USER_CODE\n');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      env: { type: 'string' },
      issuer: { type: 'string' },
      user: { type: 'string', default: 'alice' },
      deny: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
    allowPositionals: true,
  });
} catch (err) {
  usage(err.message);
}
const { values: opt, positionals } = args;
if (positionals.length !== 1) usage('one USER_CODE expected');
const userCode = positionals[0];

let verificationUrl;
if (opt.issuer) {
  verificationUrl = `${opt.issuer.replace(/\/+$/, '')}/devicelogin`;
} else if (opt.env) {
  const env = Object.fromEntries(fs.readFileSync(opt.env, 'utf8').split('\n')
    .map((l) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l)).filter(Boolean)
    .map(([, k, v]) => [k, v.replace(/^'(.*)'$/, '$1')]));
  verificationUrl = env.VERIFICATION_URL ?? (env.ISSUER && `${env.ISSUER}/devicelogin`);
  if (!verificationUrl) usage(`no VERIFICATION_URL or ISSUER in ${opt.env}`);
} else {
  usage('--env or --issuer is required');
}

const say = (s) => { if (!opt.quiet) process.stderr.write(`approve: ${s}\n`); };
function fail(s) {
  process.stderr.write(`approve: ${s}\n`);
  process.exit(1);
}

// --- a small cookie jar (name + path; Path prefix match; deletion by expiry)
const jar = new Map();
function storeCookies(res, url) {
  for (const sc of res.headers.getSetCookie()) {
    const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let cpath = url.pathname.replace(/\/[^/]*$/, '') || '/';
    let expired = value === '';
    for (const a of attrs) {
      const [k, v = ''] = a.split('=');
      const lk = k.toLowerCase();
      if (lk === 'path') cpath = v || '/';
      if (lk === 'max-age' && Number(v) <= 0) expired = true;
      if (lk === 'expires' && Date.parse(v) <= Date.now()) expired = true;
    }
    const id = `${name};${cpath}`;
    if (expired) jar.delete(id);
    else jar.set(id, { name, value, path: cpath });
  }
}
function cookieHeader(url) {
  const p = url.pathname;
  return [...jar.values()]
    .filter((c) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
    .map((c) => `${c.name}=${c.value}`).join('; ');
}

// One request, then redirects followed (303/302: GET).  Returns the last
// response's URL, status and body.
async function request(method, urlString, form) {
  let url = new URL(urlString);
  let body = form ? new URLSearchParams(form).toString() : undefined;
  for (let hops = 0; hops < 20; hops++) {
    const headers = { accept: 'text/html' };
    const cookies = cookieHeader(url);
    if (cookies) headers.cookie = cookies;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    storeCookies(res, url);
    const text = await res.text();
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      url = new URL(res.headers.get('location'), url);
      if (res.status !== 307 && res.status !== 308) { method = 'GET'; body = undefined; }
      continue;
    }
    return { url, status: res.status, text };
  }
  return fail('too many redirects');
}

const stepOf = (text) => /data-step="([a-z]+)"/.exec(text)?.[1];
const errorOf = (text) => /id="error">([^<]*)</.exec(text)?.[1]?.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(c));
const field = (text, name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1];
const action = (text, id) => new RegExp(`<form id="${id}"[^>]*action="([^"]*)"`).exec(text)?.[1];

function expect(res, step) {
  const got = stepOf(res.text);
  if (got !== step) {
    const why = errorOf(res.text);
    fail(`expected the ${step} page, got ${got ?? `HTTP ${res.status}`} at ${res.url.pathname}${why ? `: ${why}` : ''}`);
  }
}

let res = await request('GET', verificationUrl);
expect(res, 'code');
const xsrf = field(res.text, 'xsrf');
if (!xsrf) fail('no xsrf field on the code page');

res = await request('POST', verificationUrl, { xsrf, user_code: userCode });
expect(res, 'confirm');
say(`code ${userCode} accepted, ${opt.deny ? 'denying' : `signing in as ${opt.user}`}`);

const confirmForm = { xsrf: field(res.text, 'xsrf'), user_code: field(res.text, 'user_code') };
if (opt.deny) {
  res = await request('POST', verificationUrl, { ...confirmForm, abort: 'yes' });
  expect(res, 'code');
  say('denied');
  process.exit(0);
}
res = await request('POST', verificationUrl, { ...confirmForm, confirm: 'yes' });

for (let i = 0; i < 5; i++) {
  const step = stepOf(res.text);
  if (step === 'login') {
    res = await request('POST', new URL(action(res.text, 'login'), res.url), { login: opt.user });
  } else if (step === 'consent') {
    res = await request('POST', new URL(action(res.text, 'confirm'), res.url), {});
  } else {
    break;
  }
}
expect(res, 'success');
say(`approved for ${/id="account">([^<]*)</.exec(res.text)?.[1]}`);
