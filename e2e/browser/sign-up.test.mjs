// Browser: creating an account on the hosted pages. The new user is signed in at once and the
// authorization continues: the client gets a code whose ID token names the new user.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:browser
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createRemoteJWKSet, jwtVerify } from 'jose';

import { assertCodeResponse, authorizationRequest, harness, recordNavigations, redeemCode, unique } from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

/** Fills and submits the sign-up form (fields by label, button by role). */
async function signUp(page, { username, email, password }) {
  await page.getByLabel('Username', { exact: true }).fill(username);
  if (email !== undefined) {
    await page.getByLabel(/^Email/).fill(email);
  }
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** The user with this exact username, found with `gatehouse admin users list`. */
async function findUser(gh, username) {
  const listed = await gh.admin('users', 'list', '--query', username);
  const users = Array.isArray(listed) ? listed : (listed.users ?? listed.items ?? listed.data ?? []);
  const matches = users.filter((u) => u.username === username);
  assert.equal(matches.length, 1, `admin users list --query ${username}: ${JSON.stringify(listed)}`);
  return matches[0];
}

describe('sign-up page (browser)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let web;

  before(async () => {
    web = await env.gh.admin('apps', 'create', '--name', 'Signup Web', '--type', 'web', '--redirect-uri', env.rp.redirectUri);
  });

  test(
    '"Create an account" from the sign-in page: the new user is signed in and the code names them',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, scope: 'openid profile email' });
        await page.goto(req.url);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        await page.getByRole('link', { name: 'Create an account' }).click();
        await assert.doesNotReject(page.getByRole('heading', { name: 'Create your account' }).waitFor());

        const username = unique('newbie');
        const email = `${username}@example.org`;
        const password = 'a long and unusual passphrase 42';
        const callback = rp.next();
        await signUp(page, { username, email, password });
        const { params } = await callback;
        assertCodeResponse(params, { state: req.state, issuer: gh.issuer });

        // The user exists now, and the ID token is about them.
        const created = await findUser(gh, username);
        const tokens = await redeemCode(meta, { clientId: web.client_id, clientSecret: web.client_secret, code: params.code, verifier: req.verifier, redirectUri: rp.redirectUri });
        assert.equal(tokens.status, 200, `token endpoint: ${JSON.stringify(tokens.body)}`);
        const { payload } = await jwtVerify(tokens.body.id_token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
          issuer: gh.issuer,
          audience: web.client_id,
          algorithms: ['ES256'],
        });
        assert.equal(payload.sub, created.id, 'the ID token does not name the new user');
        assert.equal(payload.nonce, req.nonce);

        const userinfo = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
        assert.equal(userinfo.status, 200);
        const claims = await userinfo.json();
        assert.equal(claims.sub, created.id);
        assert.equal(claims.preferred_username, username);
        assert.equal(claims.email, email);

        // Signed in: the session cookie is there and the next authorization needs no page.
        const session = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-session');
        assert.ok(session, 'no session cookie after sign-up');
        assert.equal(session.httpOnly, true);
        assert.equal(session.sameSite, 'Lax');
        const navigations = recordNavigations(page);
        const again = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
        const callback2 = rp.next();
        await page.goto(again.url);
        assertCodeResponse((await callback2).params, { state: again.state, issuer: gh.issuer });
        assert.deepEqual(navigations.filter((u) => u.includes('/interaction/')), [], 'a page was shown although the new user is signed in');
      } finally {
        await context.close();
      }
    }),
  );

  for (const [name, extra] of [
    ['prompt=create', { prompt: 'create' }],
    ['first_screen=register', { first_screen: 'register' }],
  ]) {
    test(
      `${name} opens the sign-up page directly; an email is optional`,
      run(async () => {
        const { gh, rp, browser, meta } = env;
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, ...extra });
          await page.goto(req.url);
          await assert.doesNotReject(page.getByRole('heading', { name: 'Create your account' }).waitFor(), `${name} did not open the sign-up page`);
          // The three fields a person sees, by their labels.
          await page.getByLabel('Username', { exact: true }).waitFor();
          await page.getByLabel(/^Email/).waitFor();
          await page.getByLabel('Password', { exact: true }).waitFor();

          const username = unique('noemail');
          const callback = rp.next();
          await signUp(page, { username, password: 'another long passphrase 7' });
          const { params } = await callback;
          assertCodeResponse(params, { state: req.state, issuer: gh.issuer });
          const created = await findUser(gh, username);
          const tokens = await redeemCode(meta, { clientId: web.client_id, clientSecret: web.client_secret, code: params.code, verifier: req.verifier, redirectUri: rp.redirectUri });
          assert.equal(tokens.status, 200, `token endpoint: ${JSON.stringify(tokens.body)}`);
          const { payload } = await jwtVerify(tokens.body.id_token, createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: gh.issuer, audience: web.client_id });
          assert.equal(payload.sub, created.id);
        } finally {
          await context.close();
        }
      }),
    );
  }

  test(
    'a username that is taken is refused with a message, and nothing is sent to the client',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const username = unique('taken');
      await gh.admin('users', 'create', '--username', username, '--password', 'the first owner passphrase');
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, prompt: 'create' });
        await page.goto(req.url);
        await page.getByRole('heading', { name: 'Create your account' }).waitFor();
        const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/sign-up'));
        await signUp(page, { username, password: 'a second owner passphrase' });
        assert.equal((await response).status(), 400);
        await assert.doesNotReject(page.getByRole('alert').waitFor());
        assert.equal(rp.received.filter((r) => r.params.state === req.state).length, 0, 'the client got a response for a refused sign-up');
      } finally {
        await context.close();
      }
    }),
  );
});
