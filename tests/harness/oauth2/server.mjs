#!/usr/bin/env node
// A real OAuth 2.0 authorization server for mailferry's tests, built on the
// npm package oidc-provider (9.x).  Listens on 127.0.0.1 only.
//
//   node server.mjs --state-file FILE [--port N] [--config FILE.json] [options]
//
// Grants: the device authorization grant (RFC 8628) for a public client,
// refresh tokens (rotated on every use), client credentials for a
// confidential client with a secret and (--cert-client-cert) for one with a
// certificate (private_key_jwt).  Revocation (RFC 7009) for refresh tokens.
// Access tokens are JWTs signed RS256 (or ES256) whose header says
// typ "JWT" (Dovecot 2.3.19 refuses "at+jwt"), with sub, upn, exp, scope, aud.
//
// Endpoints are shaped like Microsoft's identity platform, under a tenant
// segment (--tenant, default "common"):
//   /{tenant}/oauth2/v2.0/devicecode   device authorization
//   /{tenant}/oauth2/v2.0/token        token
//   /{tenant}/oauth2/v2.0/revoke       revocation
//   /{tenant}/oauth2/v2.0/introspect   introspection (opaque tokens only)
//   /{tenant}/discovery/v2.0/keys      JWKS
//   /devicelogin                       verification page (oidc-provider's own)
//   /interaction/UID                   sign-in and consent pages (this file)
//   /.well-known/openid-configuration  discovery
//
// Options (each also a key of the JSON --config file, camelCase, e.g.
// {"users": ["alice"], "tokenLifetime": 60, "ccClientSecret": "s"}; the
// command line wins):
//   --port N                   0 (default) = a free port chosen by the kernel
//   --state-file FILE          written atomically (tmp + rename) once the server
//                              answers: sourceable KEY=VALUE lines (OAUTH_PORT,
//                              ISSUER, TOKEN_URL, DEVICE_URL, ..., KID, PID)
//   --log FILE                 append log lines there (default: stderr)
//   --user NAME                an account that may sign in (repeatable; default alice)
//   --tenant NAME              path segment of the endpoints (default common)
//   --device-client-id ID      public client, device_code + refresh_token (default mailferry-device)
//   --cc-client-id ID          confidential client, client_credentials (default mailferry-app)
//   --cc-client-secret S | --cc-client-secret-file FILE   (one of them is required;
//                              the secret is accepted in the body, client_secret_post,
//                              and as HTTP Basic, client_secret_basic)
//   --cert-client-id ID        confidential client, client_credentials, authenticated
//                              with private_key_jwt (default mailferry-app-cert); only
//                              registered with --cert-client-cert
//   --cert-client-cert FILE    its certificate (PEM, RSA key): the client's JWKS is built
//                              from it (kid = x5t = base64url SHA-1 of the DER, x5t#S256,
//                              x5c).  The client assertion is Microsoft's: header alg RS256
//                              (or PS256), typ JWT, x5t (and/or x5t#S256, kid); claims
//                              aud = the token URL (the issuer works too), iss = sub =
//                              client id, jti (single use), exp, nbf; clock skew 15 s
//   --cc-mailbox NAME          the upn claim of client-credentials tokens (default: first user)
//   --token-lifetime S         access token lifetime (default 3600)
//   --refresh-lifetime S       refresh token lifetime (default 1209600 = 14 days)
//   --device-code-lifetime S   device code lifetime (default 900, as Microsoft)
//   --device-interval S        "interval" of the device authorization response (default 5)
//   --slow-down N              answer the first N pending polls of each device code
//                              with slow_down instead of authorization_pending (default 0)
//   --alg RS256|ES256          access token signature (default RS256)
//   --signing-key FILE         private key (PEM): loaded if the file exists, else
//                              generated and written there (mode 0600)
//   --pubkey-dir DIR           public key as PEM for Dovecot's local_validation_key_dict
//                              (fs:posix:prefix=DIR/): DIR/default/ALG/KID and DIR/default/ALG/default
//   --jwks-file FILE           the public JWKS as JSON
//   --resource URI             a resource (audience) that tokens may be issued for
//                              (repeatable; default https://outlook.office.com and
//                              https://outlook.office365.com)
//
// Scopes: offline_access, openid, and for each resource R the names
// IMAP.AccessAsUser.All, IMAP.AccessAsApp, POP.AccessAsUser.All, SMTP.Send,
// .default, both bare and as "R/NAME" (Microsoft's v2 form, e.g.
// "https://outlook.office.com/IMAP.AccessAsUser.All offline_access").  The
// resource of a request is its "resource" parameter, else the R of its first
// "R/NAME" scope, else the first --resource.
//
// Exits on SIGTERM or SIGINT (status 0).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

// ------------------------------------------------------------ options ---

const OPTIONS = {
  port: { type: 'string' },
  'state-file': { type: 'string' },
  log: { type: 'string' },
  config: { type: 'string' },
  user: { type: 'string', multiple: true },
  tenant: { type: 'string' },
  'device-client-id': { type: 'string' },
  'cc-client-id': { type: 'string' },
  'cc-client-secret': { type: 'string' },
  'cc-client-secret-file': { type: 'string' },
  'cert-client-id': { type: 'string' },
  'cert-client-cert': { type: 'string' },
  'cc-mailbox': { type: 'string' },
  'token-lifetime': { type: 'string' },
  'refresh-lifetime': { type: 'string' },
  'device-code-lifetime': { type: 'string' },
  'device-interval': { type: 'string' },
  'slow-down': { type: 'string' },
  alg: { type: 'string' },
  'signing-key': { type: 'string' },
  'pubkey-dir': { type: 'string' },
  'jwks-file': { type: 'string' },
  resource: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
};

function die(msg) {
  process.stderr.write(`oauth2 server: ${msg}\n`);
  process.exit(2);
}

function usage() {
  const text = fs.readFileSync(new URL(import.meta.url), 'utf8');
  const lines = text.split('\n').slice(1);
  const end = lines.findIndex((l) => !l.startsWith('//'));
  process.stdout.write(`${lines.slice(0, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}

let cli;
try {
  cli = parseArgs({ options: OPTIONS, allowPositionals: false, strict: true }).values;
} catch (err) {
  die(err.message);
}
if (cli.help) usage();

const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
let fileConfig = {};
if (cli.config) {
  try {
    fileConfig = JSON.parse(fs.readFileSync(cli.config, 'utf8'));
  } catch (err) {
    die(`cannot read --config ${cli.config}: ${err.message}`);
  }
}
function opt(name, dflt) {
  if (cli[name] !== undefined) return cli[name];
  const v = fileConfig[camel(name)];
  return v !== undefined ? v : dflt;
}
function intOpt(name, dflt, min = 0) {
  const v = opt(name, dflt);
  const n = typeof v === 'number' ? v : Number.parseInt(String(v), 10);
  if (!Number.isInteger(n) || String(v).trim() !== String(n) || n < min) {
    die(`--${name} wants an integer >= ${min}, got '${v}'`);
  }
  return n;
}
const asList = (v) => (v === undefined ? undefined : [].concat(v).map(String));

const config = {
  port: intOpt('port', 0),
  stateFile: opt('state-file'),
  logFile: opt('log'),
  users: asList(opt('user')) ?? asList(fileConfig.users) ?? ['alice'],
  tenant: String(opt('tenant', 'common')),
  deviceClientId: String(opt('device-client-id', 'mailferry-device')),
  ccClientId: String(opt('cc-client-id', 'mailferry-app')),
  certClientId: String(opt('cert-client-id', 'mailferry-app-cert')),
  certClientCert: opt('cert-client-cert'),
  tokenLifetime: intOpt('token-lifetime', 3600, 1),
  refreshLifetime: intOpt('refresh-lifetime', 14 * 24 * 3600, 1),
  deviceCodeLifetime: intOpt('device-code-lifetime', 900, 1),
  deviceInterval: intOpt('device-interval', 5, 0),
  slowDown: intOpt('slow-down', 0),
  alg: String(opt('alg', 'RS256')),
  signingKeyFile: opt('signing-key'),
  pubkeyDir: opt('pubkey-dir'),
  jwksFile: opt('jwks-file'),
  resources: asList(opt('resource')) ?? asList(fileConfig.resources)
    ?? ['https://outlook.office.com', 'https://outlook.office365.com'],
};
config.ccMailbox = String(opt('cc-mailbox', config.users[0]));

if (!config.stateFile) die('--state-file is required');
if (!['RS256', 'ES256'].includes(config.alg)) die(`--alg must be RS256 or ES256, got '${config.alg}'`);
if (!/^[A-Za-z0-9._-]+$/.test(config.tenant)) die(`bad --tenant '${config.tenant}'`);
for (const u of config.users) {
  if (!/^[A-Za-z0-9._@+-]+$/.test(u)) die(`bad user name '${u}'`);
}
for (const id of [config.deviceClientId, config.ccClientId, config.certClientId]) {
  if (!/^[A-Za-z0-9._~:@+-]+$/.test(id)) die(`bad client id '${id}'`);
}
if (new Set([config.deviceClientId, config.ccClientId, config.certClientId]).size !== 3) {
  die('the client ids must differ');
}
for (const r of config.resources) {
  let u;
  try { u = new URL(r); } catch { die(`--resource wants an absolute URI, got '${r}'`); }
  if (u.hash) die(`--resource must not have a fragment: '${r}'`);
}
{
  let secret = opt('cc-client-secret');
  const secretFile = opt('cc-client-secret-file');
  if (secret === undefined && secretFile !== undefined) {
    try {
      secret = fs.readFileSync(secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      die(`cannot read --cc-client-secret-file: ${err.message}`);
    }
  }
  if (!secret) die('a client secret is required (--cc-client-secret or --cc-client-secret-file)');
  config.ccClientSecret = String(secret);
}

// --cert-client-cert: the public JWK of the certificate's key, as Microsoft
// identifies it: by x5t (base64url SHA-1 of the DER), also the kid.  No "alg"
// member, so that RS256 and PS256 assertions both verify.
if (config.certClientCert !== undefined) {
  let cert;
  try {
    cert = new crypto.X509Certificate(fs.readFileSync(config.certClientCert));
  } catch (err) {
    die(`cannot read --cert-client-cert ${config.certClientCert}: ${err.message}`);
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') die('--cert-client-cert: the certificate key must be RSA');
  const x5t = crypto.createHash('sha1').update(cert.raw).digest('base64url');
  config.certClientJwk = {
    ...cert.publicKey.export({ format: 'jwk' }),
    kid: x5t,
    use: 'sig',
    x5t,
    'x5t#S256': crypto.createHash('sha256').update(cert.raw).digest('base64url'),
    x5c: [cert.raw.toString('base64')],
  };
}

// ------------------------------------------------------------ logging ---

let logStream = null;
if (config.logFile) {
  logStream = fs.createWriteStream(config.logFile, { flags: 'a' });
}
function log(...parts) {
  const line = `${new Date().toISOString()} ${parts.join(' ')}\n`;
  if (logStream) logStream.write(line);
  else process.stderr.write(line);
}
// oidc-provider prints notices and warnings with console.info/console.warn.
for (const level of ['log', 'info', 'warn', 'error']) {
  console[level] = (...args) => log(`[${level}]`, ...args.map((a) => (a instanceof Error ? a.stack : String(a))));
}

// ---------------------------------------------------------------- key ---

const generateKeyPair = (type, options) => new Promise((resolve, reject) => {
  crypto.generateKeyPair(type, options, (err, publicKey, privateKey) => (err ? reject(err) : resolve(privateKey)));
});

async function loadOrCreateKey() {
  let privateKey;
  if (config.signingKeyFile && fs.existsSync(config.signingKeyFile)) {
    privateKey = crypto.createPrivateKey(fs.readFileSync(config.signingKeyFile));
  } else {
    // (in the thread pool, while oidc-provider loads)
    privateKey = config.alg === 'RS256'
      ? await generateKeyPair('rsa', { modulusLength: 2048 })
      : await generateKeyPair('ec', { namedCurve: 'P-256' });
    if (config.signingKeyFile) {
      writeAtomic(config.signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
    }
  }
  const type = privateKey.asymmetricKeyType;
  if ((config.alg === 'RS256' && type !== 'rsa') || (config.alg === 'ES256'
      && !(type === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1'))) {
    die(`the signing key (${type}) does not fit --alg ${config.alg}`);
  }
  const publicKey = crypto.createPublicKey(privateKey);
  const pubJwk = publicKey.export({ format: 'jwk' });
  // RFC 7638 thumbprint as kid: base64url, so a safe file name for Dovecot.
  const members = type === 'rsa' ? { e: pubJwk.e, kty: 'RSA', n: pubJwk.n }
    : { crv: pubJwk.crv, kty: 'EC', x: pubJwk.x, y: pubJwk.y };
  const kid = crypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  return {
    kid,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: config.alg, use: 'sig' },
    publicJwk: { ...pubJwk, kid, alg: config.alg, use: 'sig' },
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
  };
}

function writeAtomic(file, data, mode = 0o644) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

const keyPromise = loadOrCreateKey();

// --------------------------------------------------- resources, scopes ---

const SCOPE_NAMES = ['IMAP.AccessAsUser.All', 'IMAP.AccessAsApp', 'POP.AccessAsUser.All', 'SMTP.Send', '.default'];

function scopesOf(resource) {
  const base = resource.replace(/\/+$/, '');
  return [...SCOPE_NAMES, ...SCOPE_NAMES.map((n) => `${base}/${n}`)];
}

// The resource named by the first "R/NAME" scope whose R is a known resource.
function resourceFromScope(scope) {
  for (const s of String(scope ?? '').split(' ')) {
    for (const r of config.resources) {
      if (s.startsWith(`${r.replace(/\/+$/, '')}/`)) return r;
    }
  }
  return undefined;
}

// ------------------------------------------------------------ provider ---

const [key, { default: Provider, errors }] = await Promise.all([keyPromise, import('oidc-provider')]);

const users = new Set(config.users);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(step, title, body) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body data-step="${step}">
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

function providerConfig() {
  const r = (p) => `/${config.tenant}/${p}`;
  return {
    clients: [
      {
        client_id: config.deviceClientId,
        client_name: 'mailferry (device code)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: config.ccClientId,
        client_name: 'mailferry (app-only)',
        client_secret: config.ccClientSecret,
        // (oidc-provider accepts client_secret_basic for it as well)
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      ...(config.certClientJwk ? [{
        client_id: config.certClientId,
        client_name: 'mailferry (app-only, certificate)',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        jwks: { keys: [config.certClientJwk] },
      }] : []),
    ],
    clientDefaults: {
      id_token_signed_response_alg: config.alg,
    },
    jwks: { keys: [key.privateJwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'] },
    routes: {
      device_authorization: r('oauth2/v2.0/devicecode'),
      token: r('oauth2/v2.0/token'),
      revocation: r('oauth2/v2.0/revoke'),
      introspection: r('oauth2/v2.0/introspect'),
      jwks: r('discovery/v2.0/keys'),
      code_verification: '/devicelogin',
      authorization: r('oauth2/v2.0/authorize'),
      userinfo: '/oidc/userinfo',
      end_session: r('oauth2/v2.0/logout'),
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        async userCodeInputSource(ctx, form, out, err) {
          const msg = err ? `<p id="error">${esc(out?.error_description || out?.error || err.message)}</p>\n`
            : '<p>Enter the code displayed on your device</p>\n';
          ctx.type = 'html';
          ctx.body = page('code', 'Sign-in', `${msg}${form}\n<button type="submit" form="op.deviceInputForm">Continue</button>`);
        },
        async userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
          ctx.type = 'html';
          ctx.body = page('confirm', 'Confirm Device', `<p><strong>${esc(client.clientName || client.clientId)}</strong> shows the code <code>${esc(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`);
        },
        async successSource(ctx) {
          ctx.type = 'html';
          ctx.body = page('success', 'Sign-in Success', `<p>Signed in as <span id="account">${esc(ctx.oidc.session.accountId)}</span>; you can close this page.</p>`);
        },
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, client, oneOf) {
          const fromScope = resourceFromScope(ctx.oidc.params?.scope);
          if (oneOf) {
            return (fromScope && oneOf.includes(fromScope)) ? fromScope : oneOf[0];
          }
          return fromScope ?? config.resources[0];
        },
        async getResourceServerInfo(ctx, resourceIndicator) {
          if (!config.resources.includes(resourceIndicator)) {
            throw new errors.InvalidTarget(`unknown resource '${resourceIndicator}'`);
          }
          return {
            scope: scopesOf(resourceIndicator).join(' '),
            audience: resourceIndicator,
            accessTokenTTL: config.tokenLifetime,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: config.alg } },
          };
        },
        async useGrantedResource() {
          return true;
        },
      },
    },
    formats: {
      customizers: {
        // Dovecot 2.3.19 wants typ "JWT" (oidc-provider writes "at+jwt"), and
        // a claim that names the mailbox: upn (Exchange's v1 tokens carry one).
        async jwt(ctx, token, jwt) {
          jwt.header = { ...jwt.header, typ: 'JWT' };
          const mailbox = token.accountId ?? (token.kind === 'ClientCredentials' ? config.ccMailbox : undefined);
          if (mailbox !== undefined) jwt.payload.upn = mailbox;
          if (token.kind === 'ClientCredentials') jwt.payload.roles = ['IMAP.AccessAsApp'];
        },
      },
    },
    async findAccount(ctx, sub) {
      if (!users.has(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub };
        },
      };
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: config.tokenLifetime,
      ClientCredentials: config.tokenLifetime,
      DeviceCode: config.deviceCodeLifetime,
      RefreshToken: config.refreshLifetime,
      Grant: Math.max(config.refreshLifetime, 14 * 24 * 3600),
      Session: 24 * 3600,
      Interaction: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
    },
    interactions: {
      url(ctx, interaction) {
        return `/interaction/${interaction.uid}`;
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('error', 'Error', `<p id="error">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
    },
  };
}

// --------------------------------------------------------------- start ---

const server = http.createServer();
server.keepAliveTimeout = 1000;
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port, '127.0.0.1', () => {
    server.off('error', reject);
    resolve();
  });
}).catch((err) => die(`cannot listen on 127.0.0.1:${config.port}: ${err.message}`));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, providerConfig());

for (const ev of ['grant.error', 'device_authorization.error', 'code_verification.error', 'device_resume.error',
  'revocation.error', 'introspection.error', 'jwks.error', 'discovery.error', 'server_error']) {
  provider.on(ev, (ctx, err) => {
    log(`event ${ev}:`, err?.error ?? err?.name ?? '', '-', err?.error_description ?? err?.message ?? '',
      err?.error_detail ? `(${err.error_detail})` : '', ev === 'server_error' && err?.stack ? `\n${err.stack}` : '');
  });
}
provider.on('grant.success', (ctx) => {
  const e = ctx.oidc.entities;
  log('event grant.success:', ctx.oidc.params.grant_type, `client=${ctx.oidc.client?.clientId}`,
    `account=${e.Account?.accountId ?? e.DeviceCode?.accountId ?? e.RefreshToken?.accountId ?? '-'}`,
    `rotated=${e.RotatedRefreshToken ? 'yes' : 'no'}`);
});
provider.on('refresh_token.consumed', (token) => log('event refresh_token.consumed: grant', token.grantId));
provider.on('grant.revoked', (ctx, grantId) => log('event grant.revoked:', grantId));
provider.on('authorization.success', (ctx) => log('event device approved: account', ctx.oidc.session?.accountId,
  'client', ctx.oidc.client?.clientId));

const slowDownCount = new Map();

// Outermost middleware: a log line per request, the device authorization
// response's "interval" (oidc-provider sends none: RFC 8628's default is 5 s),
// and --slow-down.
provider.use(async (ctx, next) => {
  const started = process.hrtime.bigint();
  try {
    await next();
  } finally {
    const route = ctx.oidc?.route;
    if (route === 'device_authorization' && ctx.status === 200 && ctx.body?.device_code) {
      ctx.body.interval = config.deviceInterval;
      ctx.body.message = `To sign in, use a web browser to open the page ${ctx.body.verification_uri} and enter the code ${ctx.body.user_code} to authenticate.`;
    }
    let extra = '';
    if (route === 'token') {
      const gt = ctx.oidc.params?.grant_type ?? '-';
      extra = ` grant_type=${gt}`;
      if (ctx.status === 400 && ctx.body?.error === 'authorization_pending' && config.slowDown > 0) {
        const dc = String(ctx.oidc.params.device_code);
        const n = slowDownCount.get(dc) ?? 0;
        if (n < config.slowDown) {
          slowDownCount.set(dc, n + 1);
          ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly and should back off at a reasonable rate' };
        }
      }
    }
    if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object' && ctx.body.error) {
      extra += ` error=${ctx.body.error}`;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log(`${ctx.method} ${ctx.path} ${ctx.status}${extra} ${ms.toFixed(1)}ms`);
  }
});

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// Sign-in and consent: the pages oidc-provider sends the user to (its
// interactions.url).  Sign-in accepts any configured user name (no password).
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!m) return next();
  const [, uid, action] = m;
  ctx.set('cache-control', 'no-store');
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) throw new Error('interaction uid mismatch');
    const { prompt, params, session, grantId } = details;
    if (!action) {
      if (ctx.method !== 'GET') ctx.throw(405);
      ctx.type = 'html';
      if (prompt.name === 'login') {
        ctx.body = page('login', 'Sign in', `<form id="login" method="post" action="/interaction/${uid}/login">
<input type="text" name="login" placeholder="user name" autofocus>
<button type="submit">Sign in</button>
</form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
      } else if (prompt.name === 'consent') {
        const want = [
          ...(prompt.details.missingOIDCScope ?? []),
          ...Object.entries(prompt.details.missingResourceScopes ?? {}).map(([res, s]) => `${res}: ${s.join(' ')}`),
        ];
        ctx.body = page('consent', 'Permissions requested', `<p>${esc(params.client_id)} asks for:</p>
<ul>${want.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>
<form id="confirm" method="post" action="/interaction/${uid}/confirm"><button type="submit">Accept</button></form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
      } else {
        ctx.throw(501, `prompt ${prompt.name} not implemented`);
      }
      return undefined;
    }
    if (ctx.method !== 'POST') ctx.throw(405);
    const form = await readForm(ctx.req);
    let result;
    let merge = false;
    if (action === 'abort') {
      result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    } else if (action === 'login') {
      if (prompt.name !== 'login') throw new Error(`login posted, but the prompt is ${prompt.name}`);
      const login = form.get('login') ?? '';
      if (!users.has(login)) {
        log(`interaction ${uid}: unknown user '${login}'`);
        ctx.status = 403;
        ctx.type = 'html';
        ctx.body = page('login', 'Sign in', `<p id="error">unknown user ${esc(login)}</p>
<form id="login" method="post" action="/interaction/${uid}/login">
<input type="text" name="login" placeholder="user name" autofocus>
<button type="submit">Sign in</button>
</form>`);
        return undefined;
      }
      result = { login: { accountId: login } };
      log(`interaction ${uid}: signed in as ${login}`);
    } else {
      if (prompt.name !== 'consent') throw new Error(`consent posted, but the prompt is ${prompt.name}`);
      const grant = grantId ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const { details: d } = prompt;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
      merge = true;
      log(`interaction ${uid}: consent by ${session.accountId}`);
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.set('location', to);
    ctx.body = '';
  } catch (err) {
    if (err.status && err.expose) throw err;
    log(`interaction ${uid}${action ? `/${action}` : ''}: ${err.message}`);
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('error', 'Error', `<p id="error">${esc(err.message)}</p>`);
  }
  return undefined;
});

server.on('request', provider.callback());

// ---------------------------------------------------------- key files ---

if (config.pubkeyDir) {
  const dir = path.join(config.pubkeyDir, 'default', config.alg);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  // by kid (tokens carry one) and as "default" (for a token without kid)
  writeAtomic(path.join(dir, key.kid), key.publicPem);
  writeAtomic(path.join(dir, 'default'), key.publicPem);
}
if (config.jwksFile) {
  writeAtomic(config.jwksFile, `${JSON.stringify({ keys: [key.publicJwk] }, null, 2)}\n`);
}

const urls = {
  OAUTH_PORT: port,
  ISSUER: issuer,
  AUTHORITY: issuer,
  TENANT: config.tenant,
  DISCOVERY_URL: `${issuer}/.well-known/openid-configuration`,
  DEVICE_URL: `${issuer}/${config.tenant}/oauth2/v2.0/devicecode`,
  TOKEN_URL: `${issuer}/${config.tenant}/oauth2/v2.0/token`,
  REVOKE_URL: `${issuer}/${config.tenant}/oauth2/v2.0/revoke`,
  INTROSPECT_URL: `${issuer}/${config.tenant}/oauth2/v2.0/introspect`,
  JWKS_URL: `${issuer}/${config.tenant}/discovery/v2.0/keys`,
  VERIFICATION_URL: `${issuer}/devicelogin`,
  ALG: config.alg,
  KID: key.kid,
  ...(config.certClientJwk ? { CC_CERT_CLIENT_ID: config.certClientId, CC_CERT_X5T: config.certClientJwk.x5t } : {}),
  PID: process.pid,
};
const shq = (v) => (/^[A-Za-z0-9._\/:@%+=,-]*$/.test(String(v)) ? String(v) : `'${String(v).replace(/'/g, "'\\''")}'`);
writeAtomic(config.stateFile, Object.entries(urls).map(([k, v]) => `${k}=${shq(v)}\n`).join(''));
log(`listening on ${issuer} (oidc-provider, node ${process.version}), users: ${config.users.join(' ')},`
  + ` token lifetime ${config.tokenLifetime} s, kid ${key.kid}`);

// --------------------------------------------------------------- stop ---

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  server.close(() => {
    const done = () => process.exit(0);
    if (logStream) logStream.end(done);
    else done();
  });
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
