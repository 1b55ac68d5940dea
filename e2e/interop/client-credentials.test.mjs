// Interop: a standard OAuth client library (openid-client v6) gets a Management API token
// from Gatehouse with the client credentials grant, found through discovery, and a standard
// JOSE library (jose) verifies it as an RFC 9068 access token against the published JWKS.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:interop
// (optionally GATEHOUSE_E2E_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<fresh db>)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';

import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

// Fail the whole file at once, with a clear message, when no binary is given.
gatehouseBin();

/** The OAuth error code carried by an openid-client error, wherever it put it. */
async function oauthErrorCode(err) {
  if (err instanceof client.ResponseBodyError) {
    return err.error;
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    // A 401 with WWW-Authenticate: openid-client stops at the challenge; the code is either
    // a parameter of the challenge or in the JSON body (RFC 6749 section 5.2).
    for (const challenge of err.cause ?? []) {
      if (challenge.parameters?.error) return challenge.parameters.error;
    }
    try {
      return (await err.response.json()).error;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

describe('client credentials grant (openid-client + jose)', () => {
  let gh;
  let app;
  let failed = false;
  const run = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  };

  before(async () => {
    gh = await startGatehouse();
    app = await gh.admin('apps', 'create', '--name', `e2e-interop-${Date.now()}`, '--type', 'm2m', '--management');
    assert.equal(typeof app.client_id, 'string', `admin apps create: no client_id in ${JSON.stringify(app)}`);
    assert.equal(typeof app.client_secret, 'string', `admin apps create: no client_secret for an m2m app in ${JSON.stringify(app)}`);
  });

  after(async () => {
    if (!gh) return;
    if (failed) {
      console.error(`# gatehouse server log (${gh.issuer}):\n${gh.logTail()}`);
    }
    const status = await gh.stop();
    if (status?.signal === 'SIGKILL') {
      console.error('# gatehouse did not exit within 5 s of SIGTERM and was killed');
    }
  });

  test(
    'discovery, token with client_secret_basic, signature and RFC 9068 claims',
    run(async (t) => {
      const resource = `${gh.issuer}/api`;
      const config = await client.discovery(
        new URL(gh.issuer),
        app.client_id,
        undefined,
        client.ClientSecretBasic(app.client_secret),
        { execute: [client.allowInsecureRequests] },
      );
      const meta = config.serverMetadata();
      assert.equal(meta.issuer, gh.issuer);
      for (const key of ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint']) {
        assert.equal(typeof meta[key], 'string', `discovery lacks ${key}`);
      }
      if (Array.isArray(meta.grant_types_supported)) {
        assert.ok(meta.grant_types_supported.includes('client_credentials'), 'grant_types_supported lacks client_credentials');
      }

      const before = Math.floor(Date.now() / 1000);
      const tokens = await client.clientCredentialsGrant(config, { resource, scope: 'all' });
      const afterTs = Math.ceil(Date.now() / 1000);

      assert.equal(tokens.token_type, 'bearer'); // openid-client lowercases it
      assert.equal(typeof tokens.access_token, 'string');
      assert.equal(tokens.scope, 'all');
      assert.ok(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0, `expires_in: ${tokens.expires_in}`);
      assert.equal(tokens.refresh_token, undefined, 'client credentials must not issue a refresh token');
      assert.equal(tokens.id_token, undefined, 'client credentials must not issue an ID token');

      const header = decodeProtectedHeader(tokens.access_token);
      assert.equal(header.alg, 'ES256');
      assert.equal(typeof header.kid, 'string');
      assert.ok(header.kid.length > 0, 'empty kid');

      const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: gh.issuer,
        audience: resource,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      assert.equal(protectedHeader.typ.toLowerCase().replace(/^application\//, ''), 'at+jwt');

      // The kid names a key that the JWKS publishes.
      const published = await (await fetch(meta.jwks_uri)).json();
      const key = published.keys.find((k) => k.kid === header.kid);
      assert.ok(key, `kid ${header.kid} not in ${meta.jwks_uri}`);
      assert.equal(key.kty, 'EC');
      assert.equal(key.crv, 'P-256');
      assert.equal(key.d, undefined, 'JWKS publishes a private key');

      // RFC 9068 section 2.2 claims.
      assert.equal(payload.iss, gh.issuer);
      assert.deepEqual([payload.aud].flat(), [resource]);
      assert.equal(payload.client_id, app.client_id);
      assert.equal(typeof payload.sub, 'string');
      assert.ok(payload.sub.length > 0, 'empty sub');
      if (payload.sub !== app.client_id) {
        t.diagnostic(`sub (${payload.sub}) differs from client_id (${app.client_id})`);
      }
      assert.equal(payload.scope, 'all');
      assert.equal(typeof payload.jti, 'string');
      assert.ok(payload.jti.length >= 16, `jti too short: ${payload.jti}`);
      assert.ok(Number.isInteger(payload.iat), 'iat not an integer');
      assert.ok(Number.isInteger(payload.exp), 'exp not an integer');
      assert.ok(payload.iat >= before - 5 && payload.iat <= afterTs + 5, `iat ${payload.iat} not around now (${before})`);
      assert.ok(Math.abs(payload.exp - payload.iat - tokens.expires_in) <= 2, `exp - iat (${payload.exp - payload.iat}) != expires_in (${tokens.expires_in})`);

      // A second token is a different token.
      const again = await client.clientCredentialsGrant(config, { resource, scope: 'all' });
      const { payload: payload2 } = await jwtVerify(again.access_token, jwks, { issuer: gh.issuer, audience: resource, typ: 'at+jwt' });
      assert.notEqual(payload2.jti, payload.jti, 'jti reused');
    }),
  );

  test(
    'client_secret_post, when discovery advertises it',
    run(async (t) => {
      // The brief's default form: a client secret as metadata lets openid-client pick client_secret_post.
      const config = await client.discovery(new URL(gh.issuer), app.client_id, app.client_secret, undefined, {
        execute: [client.allowInsecureRequests],
      });
      const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
      if (Array.isArray(methods) && !methods.includes('client_secret_post')) {
        t.skip(`token_endpoint_auth_methods_supported is ${JSON.stringify(methods)}`);
        return;
      }
      const resource = `${gh.issuer}/api`;
      const tokens = await client.clientCredentialsGrant(config, { resource, scope: 'all' });
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
      const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: gh.issuer, audience: resource, typ: 'at+jwt' });
      assert.equal(payload.client_id, app.client_id);
    }),
  );

  test(
    'a wrong client secret is rejected with invalid_client',
    run(async (t) => {
      const config = await client.discovery(
        new URL(gh.issuer),
        app.client_id,
        undefined,
        client.ClientSecretBasic(`${app.client_secret}x`),
        { execute: [client.allowInsecureRequests] },
      );
      let caught;
      try {
        await client.clientCredentialsGrant(config, { resource: `${gh.issuer}/api`, scope: 'all' });
      } catch (err) {
        caught = err;
      }
      assert.ok(caught, 'the token endpoint accepted a wrong client secret');
      // ResponseBodyError (err.error set) without a WWW-Authenticate header;
      // WWWAuthenticateChallengeError with one (RFC 6749 section 5.2 wants it for Basic).
      t.diagnostic(`openid-client threw ${caught.name}`);
      assert.equal(await oauthErrorCode(caught), 'invalid_client', `unexpected error: ${caught?.name}: ${caught?.message}`);
      assert.equal(caught.status, 401, 'invalid_client with HTTP Basic should answer 401 (RFC 6749 section 5.2)');
    }),
  );
});
