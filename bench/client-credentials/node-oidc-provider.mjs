// node-oidc-provider configured like Gatehouse for the client-credentials benchmark:
// one confidential client (client_secret_basic, grant client_credentials only), one
// resource server `<issuer>/api` that gets ES256-signed RFC 9068 JWT access tokens with
// scope `all` and a 900 s lifetime. Plain HTTP on loopback; no interactions are used.
//
// Environment:
//   PORT           port to listen on (required)
//   HOST           address to bind (default 127.0.0.1)
//   ISSUER         issuer identifier (default http://HOST:PORT)
//   CLIENT_ID      client id (default bench)
//   CLIENT_SECRET  client secret (default bench-secret)
//
// Prints "ready <issuer>" on stdout once listening.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
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
const resource = `${issuer}/api`;

// A fresh ES256 signing key per run, as Gatehouse generates its own on first start.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'ES256', use: 'sig' };

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [signingKey] },
  // Only used to sign id_token and friends; ES256 everywhere to match Gatehouse.
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256'],
  },
  cookies: { keys: [randomUUID()] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== resource) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: 'all',
          accessTokenTTL: 900,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  clientBasedCORS: () => false,
  // client_credentials needs no accounts; defined only to silence the default's warning.
  findAccount: async () => undefined,
};

const provider = new Provider(issuer, configuration);
// Koa setting: trust X-Forwarded-* so a TLS-terminating proxy could sit in front. The
// issuer is http:// on loopback, so it works without TLS in any case.
provider.proxy = true;
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

const server = provider.listen(port, host, () => {
  console.log(`ready ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
