// Browser: response_mode=form_post. The code, state and iss arrive at the relying party as a
// form-urlencoded POST (P-12, P-30), also for errors, also with JavaScript disabled.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:browser
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createRemoteJWKSet, jwtVerify } from 'jose';

import { assertCodeResponse, assertErrorResponse, authorizationRequest, harness, redeemCode, signIn, unique } from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

/**
 * Opens a URL whose answer is a form_post page that submits itself at once. Its script may
 * start the POST before Playwright has seen the navigation commit, which Playwright reports
 * as "interrupted by another navigation": that is the expected outcome here, so only other
 * errors fail the test (the callback the test awaits next proves the POST arrived).
 */
async function gotoSelfSubmitting(page, url) {
  try {
    await page.goto(url, { waitUntil: 'commit' });
  } catch (err) {
    if (!/interrupted by another navigation/.test(String(err))) throw err;
  }
}

describe('response_mode=form_post (browser)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let web;
  let user;
  const password = 'form post passphrase';

  before(async () => {
    web = await env.gh.admin('apps', 'create', '--name', 'Form Post Web', '--type', 'web', '--redirect-uri', env.rp.redirectUri);
    const username = unique('frank');
    user = { username, ...(await env.gh.admin('users', 'create', '--username', username, '--password', password)) };
  });

  /** Asserts that a relying-party request is a form_post (POST, form-urlencoded, nothing in the query). */
  function assertFormPost(record) {
    assert.equal(record.method, 'POST', `the authorization response came by ${record.method}, not by POST`);
    assert.match(record.contentType, /^application\/x-www-form-urlencoded/);
    assert.deepEqual(record.query, {}, `form_post put parameters in the query: ${record.url}`);
  }

  test(
    'sign-in with form_post: code, state and iss are POSTed to the redirect URI; the code works',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      assert.ok(meta.response_modes_supported?.includes('form_post'), 'discovery does not list form_post');
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const dialogs = [];
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          d.dismiss().catch(() => {});
        });
        // A state that must be attribute-encoded on the auto-submit page and come back unchanged.
        const state = `"><script>alert(1)</script>&=+%/ ${unique('s')}`;
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, response_mode: 'form_post', state });
        assert.equal(new URL(req.url).searchParams.get('state'), state);
        await page.goto(req.url);

        const formPostPage = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/sign-in'));
        const callback = rp.next();
        await signIn(page, user.username, password);
        const record = await callback;
        assertFormPost(record);
        assertCodeResponse(record.params, { state, issuer: gh.issuer });
        assert.deepEqual(dialogs, [], 'script from the state ran on the form_post page');

        // The auto-submit page: 200 HTML with a nonce CSP that allows posting to the client only.
        const answer = await formPostPage;
        assert.equal(answer.status(), 200);
        const csp = answer.headers()['content-security-policy'] ?? '';
        assert.match(csp, /'nonce-[A-Za-z0-9+/_=-]{16,}'/, `form_post page CSP has no nonce: ${csp}`);
        assert.ok(!csp.includes("'unsafe-inline'"), `form_post page CSP allows 'unsafe-inline': ${csp}`);
        assert.ok(csp.includes("frame-ancestors 'none'"), `form_post page CSP lacks frame-ancestors 'none': ${csp}`);
        assert.match(answer.headers()['cache-control'] ?? '', /no-store/);

        const tokens = await redeemCode(meta, { clientId: web.client_id, clientSecret: web.client_secret, code: record.params.code, verifier: req.verifier, redirectUri: rp.redirectUri });
        assert.equal(tokens.status, 200, `token endpoint: ${JSON.stringify(tokens.body)}`);
        const { payload } = await jwtVerify(tokens.body.id_token, createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: gh.issuer, audience: web.client_id });
        assert.equal(payload.sub, user.id);
        assert.equal(payload.nonce, req.nonce);

        // With the session, a second form_post authorization posts at once (no sign-in page).
        const again = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, response_mode: 'form_post' });
        const callback2 = rp.next();
        // The answer page submits itself at once: its script may start the POST before the
        // page's load event, so wait only for the response to arrive.
        await gotoSelfSubmitting(page, again.url);
        const record2 = await callback2;
        assertFormPost(record2);
        assertCodeResponse(record2.params, { state: again.state, issuer: gh.issuer });
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'an error in form_post mode is POSTed too: prompt=none without a session -> login_required',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, response_mode: 'form_post', prompt: 'none' });
        const callback = rp.next();
        await gotoSelfSubmitting(page, req.url);
        const record = await callback;
        assertFormPost(record);
        assertErrorResponse(record.params, { error: 'login_required', state: req.state, issuer: gh.issuer });
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'without JavaScript: sign in, then the "Continue" button posts the response',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, response_mode: 'form_post' });
        await page.goto(req.url);
        await signIn(page, user.username, password);
        await page.getByRole('button', { name: 'Continue' }).waitFor();
        assert.equal(rp.received.filter((r) => r.params.state === req.state).length, 0);
        const callback = rp.next();
        await page.getByRole('button', { name: 'Continue' }).click();
        const record = await callback;
        assertFormPost(record);
        assertCodeResponse(record.params, { state: req.state, issuer: gh.issuer });
      } finally {
        await context.close();
      }
    }),
  );
});
