// node-oidc-provider configured like Gatehouse for the code-flow benchmark: one confidential
// web client (client_secret_basic, authorization_code only, PKCE S256, no refresh tokens),
// scopes openid and profile, ES256 ID tokens, opaque access tokens valid 900 s (Gatehouse's
// UserInfo token lifetime), the built-in in-memory adapter. Plain HTTP on loopback.
//
// Sign-in is a minimal custom interaction in place of devInteractions, with the same form
// shape as Gatehouse's page so the load generator drives both alike:
//   GET  /interaction/:uid          -> a page with <form method="post" action="/interaction/:uid/sign-in">
//   POST /interaction/:uid/sign-in  identifier, password (form-urlencoded)
//        -> password must equal ACCOUNT_PASSWORD; the account id is the identifier; a Grant of
//           "openid profile" for the client is saved (first-party: no consent screen, like a
//           Gatehouse app that is not --third-party) and provider.interactionFinished()
//           answers 303 to the authorization endpoint, which then redirects with a code.
// Only the benchmark's setup signs in; the measured loop uses the session this creates.
//
// Environment:
//   PORT              port to listen on (required)
//   HOST              address to bind (default 127.0.0.1)
//   ISSUER            issuer identifier (default http://HOST:PORT)
//   CLIENT_ID         client id (default bench)
//   CLIENT_SECRET     client secret (default bench-secret)
//   REDIRECT_URI      the client's redirect URI (default https://rp.bench.example/callback)
//   ACCOUNT_PASSWORD  password every account signs in with (default bench-password)
//
// Prints "ready <issuer>" on stdout once listening.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0) {
  console.error('node-oidc-provider.mjs: PORT must be set to a TCP port');
  process.exit(2);
}
const host = process.env.HOST ?? '127.0.0.1';
const issuer = process.env.ISSUER ?? `http://${host}:${port}`;
const clientId = process.env.CLIENT_ID ?? 'bench';
const clientSecret = process.env.CLIENT_SECRET ?? 'bench-secret';
const redirectUri = process.env.REDIRECT_URI ?? 'https://rp.bench.example/callback';
const accountPassword = process.env.ACCOUNT_PASSWORD ?? 'bench-password';

// A fresh ES256 signing key per run, as Gatehouse generates its own on first start.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'ES256', use: 'sig' };

// The claims Gatehouse's UserInfo answers for scope "openid profile" for a user made with
// `gatehouse admin users create --username U --name N`: sub, name, preferred_username,
// updated_at. Accounts exist for any identifier; the account id is the identifier.
const createdAt = Math.floor(Date.now() / 1000);
async function findAccount(_ctx, accountId) {
  return {
    accountId,
    claims: async () => ({
      sub: accountId,
      name: `Bench ${accountId}`,
      preferred_username: accountId,
      updated_at: createdAt,
    }),
  };
}

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [signingKey] },
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256'],
  },
  cookies: { keys: [randomUUID()] },
  scopes: ['openid', 'profile'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'updated_at'],
  },
  findAccount,
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  pkce: { required: () => true },
  issueRefreshToken: async () => false,
  ttl: {
    AccessToken: 900,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
  },
  clientBasedCORS: () => false,
};

const provider = new Provider(issuer, configuration);
provider.proxy = true;
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const interactionPath = /^\/interaction\/([A-Za-z0-9_-]+)(\/sign-in)?$/;

async function interaction(req, res, uid, signIn) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, 'interaction mismatch\n', 'text/plain');
    return;
  }
  if (!signIn && req.method === 'GET') {
    send(res, 200, `<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${escapeHtml(uid)}/sign-in">
<input type="text" name="identifier" required>
<input type="password" name="password" required>
<button type="submit">Sign in</button>
</form>
`);
    return;
  }
  if (!signIn || req.method !== 'POST') {
    send(res, 405, 'method not allowed\n', 'text/plain');
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  const accountId = form.get('identifier') ?? '';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(accountId) || form.get('password') !== accountPassword) {
    send(res, 400, 'invalid credentials\n', 'text/plain');
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope('openid profile');
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  const m = interactionPath.exec(path);
  if (!m) {
    callback(req, res);
    return;
  }
  interaction(req, res, m[1], Boolean(m[2])).catch((err) => {
    console.error('interaction error', err);
    if (!res.headersSent) send(res, 400, `${err.name ?? 'Error'}: ${err.message}\n`, 'text/plain');
    else res.end();
  });
});
server.listen(port, host, () => {
  console.log(`ready ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
