// Interop: the authorization code flow with PKCE, as a standard relying-party library
// (openid-client v6) does it against Gatehouse, with the sign-in done by a person in a real
// browser (Debian's Chromium, driven by playwright-core). Discovery, the authorization URL,
// the callback checks (state, iss), the ID token checks (iss, aud, nonce, ...), UserInfo,
// refresh token rotation, and reuse detection that revokes the whole token family.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:interop
// (optionally GATEHOUSE_E2E_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<fresh db>)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';

import { harness, signIn, unique } from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

/** The OAuth error code of an openid-client error (the JSON body, or a WWW-Authenticate challenge). */
async function oauthErrorCode(err) {
  if (err instanceof client.ResponseBodyError) return err.error;
  if (err instanceof client.WWWAuthenticateChallengeError) {
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

/** Runs `fn`, which must fail with the OAuth error `code`. */
async function expectOAuthError(fn, code, what) {
  let caught;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `${what}: succeeded, expected ${code}`);
  assert.equal(await oauthErrorCode(caught), code, `${what}: ${caught.name}: ${caught.message}`);
}

/** at_hash (OIDC Core 3.1.3.6) for ES256/RS256: the left half of SHA-256, base64url. */
const atHash = (accessToken) => createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');

describe('authorization code flow (openid-client + Chromium)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let user;
  const password = 'interop code flow passphrase';

  before(async () => {
    const username = unique('ivy');
    user = {
      username,
      email: `${username}@example.net`,
      name: 'Ivy Interop',
      ...(await env.gh.admin('users', 'create', '--username', username, '--email', `${username}@example.net`, '--name', 'Ivy Interop', '--password', password)),
    };
  });

  /**
   * The whole flow for one client configuration:
   * discovery -> authorization URL -> browser sign-in -> callback -> tokens -> userinfo ->
   * refresh (rotation) -> reuse of the old refresh token -> the family is revoked.
   */
  async function codeFlow(t, { clientId, clientAuth, scope, expectProfile }) {
    const { gh, rp, browser } = env;

    // Every token endpoint response, to look at its headers.
    const tokenResponses = [];
    const config = await client.discovery(new URL(gh.issuer), clientId, undefined, clientAuth, {
      execute: [client.allowInsecureRequests],
    });
    const meta = config.serverMetadata();
    config[client.customFetch] = async (url, options) => {
      const response = await fetch(url, options);
      if (url === meta.token_endpoint) tokenResponses.push(response);
      return response;
    };
    assert.equal(meta.issuer, gh.issuer);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint']) {
      assert.equal(typeof meta[key], 'string', `discovery lacks ${key}`);
    }

    const codeVerifier = client.randomPKCECodeVerifier();
    const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    // A person signs in.
    const context = await browser.newContext();
    let callback;
    try {
      const page = await context.newPage();
      const received = rp.next();
      await page.goto(authorizationUrl.href);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(page, user.username, password);
      callback = await received;
    } finally {
      await context.close();
    }
    assert.equal(callback.method, 'GET');
    assert.equal(callback.query.iss, gh.issuer, 'no iss in the authorization response (RFC 9207)');

    // The library checks state and iss of the callback, redeems the code with the verifier,
    // and validates the ID token (iss, aud, exp, iat, nonce, azp).
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    assert.match(tokenResponses.at(-1)?.headers.get('cache-control') ?? '', /no-store/, 'token response without Cache-Control: no-store');
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0);
    assert.equal(typeof tokens.refresh_token, 'string', 'offline_access gave no refresh token');
    if (tokens.scope !== undefined) {
      // RFC 6749 section 5.1: may be left out when it is the requested scope.
      assert.deepEqual(new Set(tokens.scope.split(' ')), new Set(scope.split(' ')), `granted scope: ${tokens.scope}`);
    }

    const claims = tokens.claims();
    assert.equal(claims.iss, gh.issuer);
    assert.equal(claims.sub, user.id);
    assert.deepEqual([claims.aud].flat(), [clientId]);
    assert.equal(claims.nonce, nonce);
    assert.ok(Number.isInteger(claims.auth_time), 'no auth_time');
    assert.ok(claims.auth_time <= claims.iat + 5, 'auth_time after iat');
    assert.equal(claims.at_hash, atHash(tokens.access_token), 'at_hash does not match the access token');
    assert.equal(typeof claims.sid, 'string', 'no sid');
    assert.ok(Array.isArray(claims.amr) && claims.amr.length > 0, `amr: ${JSON.stringify(claims.amr)}`);

    // The library does not check the signature of an ID token from the token endpoint; jose does.
    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
    const header = decodeProtectedHeader(tokens.id_token);
    assert.equal(header.alg, 'ES256');
    await jwtVerify(tokens.id_token, jwks, { issuer: gh.issuer, audience: clientId, algorithms: ['ES256'] });
    await jwtVerify(tokens.access_token, jwks, { issuer: gh.issuer, typ: 'at+jwt', algorithms: ['ES256'] });

    // UserInfo: the claims of the granted scopes, for the same subject.
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.sub, user.id);
    assert.equal(userinfo.email, user.email);
    assert.equal(userinfo.email_verified, false);
    if (expectProfile) {
      assert.equal(userinfo.preferred_username, user.username);
      assert.equal(userinfo.name, user.name);
      assert.ok(Number.isInteger(userinfo.updated_at), `updated_at: ${userinfo.updated_at}`);
    } else {
      for (const claim of ['preferred_username', 'name', 'updated_at']) {
        assert.equal(userinfo[claim], undefined, `UserInfo returned ${claim} without the profile scope`);
      }
    }

    // Checked last, as a code replay may also revoke what the code gave (P-08).
    const redeemAgain = async () => {
      await expectOAuthError(
        () => client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce }),
        'invalid_grant',
        'a second redemption of the code',
      );
      t.diagnostic('code reuse -> invalid_grant');
    };
    return { config, tokens, claims, redeemAgain };
  }

  /** Refresh rotates; reusing the old refresh token fails and revokes the newest one too. */
  async function refreshRotationAndReuse(t, { config, tokens, claims }) {
    const first = tokens.refresh_token;
    const refreshed = await client.refreshTokenGrant(config, first);
    assert.equal(typeof refreshed.access_token, 'string');
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.equal(typeof refreshed.refresh_token, 'string', 'refresh gave no new refresh token');
    assert.notEqual(refreshed.refresh_token, first, 'the refresh token did not rotate');
    if (refreshed.id_token) {
      // openid-client has checked it; the subject must stay the same.
      assert.equal(refreshed.claims().sub, claims.sub);
    }
    const again = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
    assert.equal(again.sub, claims.sub);

    // Reuse of the rotated-out token: refused, and the family is revoked (no grace period).
    await expectOAuthError(() => client.refreshTokenGrant(config, first), 'invalid_grant', 're-presenting the old refresh token');
    await expectOAuthError(() => client.refreshTokenGrant(config, refreshed.refresh_token), 'invalid_grant', 'the newest refresh token after reuse was detected');
    t.diagnostic('refresh rotated; reuse -> invalid_grant; family revoked');
  }

  test(
    'confidential web client (client_secret_basic)',
    run(async (t) => {
      const app = await env.gh.admin('apps', 'create', '--name', `Interop Web ${unique('w')}`, '--type', 'web', '--redirect-uri', env.rp.redirectUri);
      assert.equal(typeof app.client_secret, 'string', 'a web app has no client secret');
      const result = await codeFlow(t, {
        clientId: app.client_id,
        clientAuth: client.ClientSecretBasic(app.client_secret),
        scope: 'openid profile email offline_access',
        expectProfile: true,
      });
      await refreshRotationAndReuse(t, result);
      // The authorization code is single use.
      await result.redeemAgain();
    }),
  );

  test(
    'public spa client (token_endpoint_auth_method none, PKCE only)',
    run(async (t) => {
      const app = await env.gh.admin('apps', 'create', '--name', `Interop SPA ${unique('s')}`, '--type', 'spa', '--redirect-uri', env.rp.redirectUri);
      assert.equal(app.client_secret ?? undefined, undefined, 'a spa app must not get a client secret');
      const result = await codeFlow(t, {
        clientId: app.client_id,
        clientAuth: client.None(),
        scope: 'openid email offline_access',
        expectProfile: false,
      });
      await refreshRotationAndReuse(t, result);
      // The authorization code is single use.
      await result.redeemAgain();
    }),
  );
});
