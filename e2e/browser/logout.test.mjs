// Browser: RP-initiated logout (end_session). A confirmation page, then a redirect to the
// registered post_logout_redirect_uri with the state; the session is gone (also when its old
// cookie is replayed, S-04), so prompt=none gives login_required. An unregistered or foreign
// post-logout URI is never followed (P-14, P-28).
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:browser
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertCodeResponse,
  assertErrorResponse,
  authorizationRequest,
  harness,
  randomToken,
  redeemCode,
  signIn,
  unique,
} from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

describe('logout (browser)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let web;
  let user;
  const password = 'logout test passphrase';

  before(async () => {
    const { gh, rp } = env;
    web = await gh.admin('apps', 'create', '--name', 'Logout Web', '--type', 'web', '--redirect-uri', rp.redirectUri, '--post-logout-redirect-uri', rp.postLogoutRedirectUri);
    // Another app, only so that its post-logout URI is registered (the foreign-URI case).
    await gh.admin('apps', 'create', '--name', 'Other Web', '--type', 'web', '--redirect-uri', rp.redirectUri, '--post-logout-redirect-uri', `${rp.origin}/other-signed-out`);
    const username = unique('erin');
    user = { username, ...(await gh.admin('users', 'create', '--username', username, '--password', password)) };
  });

  /** Signs in in a fresh page of `context` and returns the ID token. */
  async function signedIn(context) {
    const { gh, rp, meta } = env;
    const page = await context.newPage();
    const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
    const callback = rp.next();
    await page.goto(req.url);
    await signIn(page, user.username, password);
    const { params } = await callback;
    assertCodeResponse(params, { state: req.state, issuer: gh.issuer });
    const tokens = await redeemCode(meta, { clientId: web.client_id, clientSecret: web.client_secret, code: params.code, verifier: req.verifier, redirectUri: rp.redirectUri });
    assert.equal(tokens.status, 200, `token endpoint: ${JSON.stringify(tokens.body)}`);
    assert.equal(typeof tokens.body.id_token, 'string');
    return { page, idToken: tokens.body.id_token };
  }

  /** prompt=none in this context: login_required when the session is gone. */
  async function expectLoginRequired(page) {
    const { gh, rp, meta } = env;
    const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, prompt: 'none' });
    const callback = rp.next();
    await page.goto(req.url);
    assertErrorResponse((await callback).params, { error: 'login_required', state: req.state, issuer: gh.issuer });
  }

  test(
    'prompt=none without a session -> login_required at the redirect URI, no page',
    run(async () => {
      const context = await env.browser.newContext();
      try {
        await expectLoginRequired(await context.newPage());
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'end_session with id_token_hint: confirm, redirect with state, then prompt=none -> login_required',
    run(async () => {
      const { gh, rp, meta } = env;
      const context = await env.browser.newContext();
      try {
        const { page, idToken } = await signedIn(context);
        // Signed in: prompt=none is silent.
        const silent = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, prompt: 'none' });
        const silentCallback = rp.next();
        await page.goto(silent.url);
        assertCodeResponse((await silentCallback).params, { state: silent.state, issuer: gh.issuer });

        const state = randomToken();
        const url = new URL(meta.end_session_endpoint);
        url.searchParams.set('id_token_hint', idToken);
        url.searchParams.set('post_logout_redirect_uri', rp.postLogoutRedirectUri);
        url.searchParams.set('state', state);
        const response = await page.goto(url.href);
        assert.equal(response.status(), 200);
        await assert.doesNotReject(page.getByRole('heading', { name: 'Sign out' }).waitFor(), 'no "Sign out" confirmation page');
        assert.ok(response.headers()['content-security-policy']?.includes("frame-ancestors 'none'"), 'logout page lacks frame-ancestors');
        assert.equal(response.headers()['x-frame-options'], 'DENY');
        // Nothing happened yet: a GET alone must not sign out (ASVS 10.6.2).
        assert.ok((await context.cookies(gh.issuer)).some((c) => c.name === 'gatehouse-session'), 'the GET alone removed the session cookie');

        const oldSession = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-session');
        const callback = rp.next('/signed-out');
        await page.getByRole('button', { name: 'Sign out' }).click();
        const back = await callback;
        assert.equal(back.method, 'GET');
        assert.equal(back.query.state, state, 'state not passed back to the post-logout redirect URI');
        assert.equal((await context.cookies(gh.issuer)).filter((c) => c.name === 'gatehouse-session').length, 0, 'session cookie still set after logout');

        await expectLoginRequired(page);

        // S-04: the old session cookie, replayed after logout, signs nobody in.
        await context.addCookies([oldSession]);
        await expectLoginRequired(page);
      } finally {
        await context.close();
      }
    }),
  );

  for (const [name, target] of [
    ['an unregistered post_logout_redirect_uri', (rp) => `${rp.origin}/not-registered`],
    ["another app's post_logout_redirect_uri", (rp) => `${rp.origin}/other-signed-out`],
    ['a registered URI with a query added', (rp) => `${rp.postLogoutRedirectUri}?x=1`],
  ]) {
    test(
      `${name} is not followed: "You are signed out" page, and the session is gone`,
      run(async () => {
        const { rp, meta } = env;
        const context = await env.browser.newContext();
        try {
          const { page, idToken } = await signedIn(context);
          const before = rp.received.length;
          const url = new URL(meta.end_session_endpoint);
          url.searchParams.set('id_token_hint', idToken);
          url.searchParams.set('post_logout_redirect_uri', target(rp));
          url.searchParams.set('state', randomToken());
          await page.goto(url.href);
          await page.getByRole('heading', { name: 'Sign out' }).waitFor();
          await page.getByRole('button', { name: 'Sign out' }).click();
          await assert.doesNotReject(page.getByRole('heading', { name: 'You are signed out' }).waitFor(), 'no "You are signed out" page');
          assert.equal(new URL(page.url()).origin, env.gh.issuer, `the browser left Gatehouse: ${page.url()}`);
          assert.deepEqual(rp.received.slice(before), [], 'the relying party received a request');
          await expectLoginRequired(page);
        } finally {
          await context.close();
        }
      }),
    );
  }

  test(
    'a bare GET end_session asks for confirmation; signing out ends on "You are signed out"',
    run(async () => {
      const { meta } = env;
      const context = await env.browser.newContext();
      try {
        const { page } = await signedIn(context);
        await page.goto(meta.end_session_endpoint);
        await page.getByRole('heading', { name: 'Sign out' }).waitFor();
        await page.getByRole('button', { name: 'Sign out' }).click();
        await assert.doesNotReject(page.getByRole('heading', { name: 'You are signed out' }).waitFor());
        await expectLoginRequired(page);
      } finally {
        await context.close();
      }
    }),
  );
});
