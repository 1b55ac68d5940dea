// Browser: the consent page for a third-party app (checklist P-15, P-29). Deny gives
// access_denied at the client, Allow gives a code, and the consent is remembered.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:browser
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertCodeResponse,
  assertErrorResponse,
  authorizationRequest,
  harness,
  recordNavigations,
  redeemCode,
  signIn,
  unique,
} from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

describe('consent page (browser)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let thirdParty;
  let firstParty;
  let otherThirdParty;
  let user;
  const password = 'consent test passphrase';

  before(async () => {
    const { gh, rp } = env;
    thirdParty = await gh.admin('apps', 'create', '--name', 'Acme Analytics', '--type', 'web', '--redirect-uri', rp.redirectUri, '--third-party');
    otherThirdParty = await gh.admin('apps', 'create', '--name', 'Other Partner', '--type', 'web', '--redirect-uri', rp.redirectUri, '--third-party');
    firstParty = await gh.admin('apps', 'create', '--name', 'Own App', '--type', 'web', '--redirect-uri', rp.redirectUri);
    const username = unique('carol');
    user = { username, ...(await gh.admin('users', 'create', '--username', username, '--password', password)) };
  });

  test(
    'a third-party app asks for consent: Deny -> access_denied, Allow -> code, then remembered',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const scope = 'openid profile email';
        const heading = 'Acme Analytics wants to access your account';

        // Sign in, then the consent page.
        const denied = authorizationRequest(meta, { clientId: thirdParty.client_id, redirectUri: rp.redirectUri, scope });
        await page.goto(denied.url);
        await signIn(page, user.username, password);
        await assert.doesNotReject(page.getByRole('heading', { name: heading }).waitFor(), 'no consent page for a third-party app');
        assert.equal(rp.received.filter((r) => r.params.state === denied.state).length, 0, 'the client got an answer before consent');
        // The requested scopes are listed as sentences, and the page says where the user goes.
        const items = await page.getByRole('listitem').allInnerTexts();
        for (const sentence of ['See your name and username', 'See your email address']) {
          assert.ok(items.some((i) => i.includes(sentence)), `consent page does not list "${sentence}": ${JSON.stringify(items)}`);
        }
        assert.ok((await page.locator('main').innerText()).includes('127.0.0.1'), 'the consent page does not show the redirect host (P-29)');
        const headers = (await page.reload()).headers();
        assert.ok(headers['content-security-policy']?.includes("frame-ancestors 'none'"), 'consent page lacks frame-ancestors');
        assert.equal(headers['x-frame-options'], 'DENY');

        const denyCallback = rp.next();
        const denyPost = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/consent'));
        await page.getByRole('button', { name: 'Deny' }).click();
        assert.equal((await denyPost).status(), 303, 'consent form must answer 303 (P-16)');
        assertErrorResponse((await denyCallback).params, { error: 'access_denied', state: denied.state, issuer: gh.issuer });

        // Still signed in, not consented: the consent page again; Allow gives a code.
        const allowed = authorizationRequest(meta, { clientId: thirdParty.client_id, redirectUri: rp.redirectUri, scope });
        await page.goto(allowed.url);
        await assert.doesNotReject(page.getByRole('heading', { name: heading }).waitFor(), 'a denial must not be remembered as consent');
        const allowCallback = rp.next();
        await page.getByRole('button', { name: 'Allow' }).click();
        const { params } = await allowCallback;
        assertCodeResponse(params, { state: allowed.state, issuer: gh.issuer });
        const tokens = await redeemCode(meta, { clientId: thirdParty.client_id, clientSecret: thirdParty.client_secret, code: params.code, verifier: allowed.verifier, redirectUri: rp.redirectUri });
        assert.equal(tokens.status, 200, `token endpoint: ${JSON.stringify(tokens.body)}`);

        // Remembered: the same scopes again, no page at all.
        const navigations = recordNavigations(page);
        const remembered = authorizationRequest(meta, { clientId: thirdParty.client_id, redirectUri: rp.redirectUri, scope });
        const rememberedCallback = rp.next();
        await page.goto(remembered.url);
        assertCodeResponse((await rememberedCallback).params, { state: remembered.state, issuer: gh.issuer });
        assert.deepEqual(navigations.filter((u) => u.includes('/interaction/')), [], 'consent was asked again for the same scopes');

        // And prompt=none works silently now.
        const silent = authorizationRequest(meta, { clientId: thirdParty.client_id, redirectUri: rp.redirectUri, scope, prompt: 'none' });
        const silentCallback = rp.next();
        await page.goto(silent.url);
        assertCodeResponse((await silentCallback).params, { state: silent.state, issuer: gh.issuer });
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'prompt=none for a third-party app without consent -> consent_required; a first-party app needs no consent',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        // A first-party app: sign-in, then straight back with a code (no consent page).
        const own = authorizationRequest(meta, { clientId: firstParty.client_id, redirectUri: rp.redirectUri });
        await page.goto(own.url);
        const ownCallback = rp.next();
        await signIn(page, user.username, password);
        assertCodeResponse((await ownCallback).params, { state: own.state, issuer: gh.issuer });

        // A third-party app this user never consented to, with prompt=none: no UI, consent_required.
        const navigations = recordNavigations(page);
        const silent = authorizationRequest(meta, { clientId: otherThirdParty.client_id, redirectUri: rp.redirectUri, prompt: 'none' });
        const callback = rp.next();
        await page.goto(silent.url);
        assertErrorResponse((await callback).params, { error: 'consent_required', state: silent.state, issuer: gh.issuer });
        assert.deepEqual(navigations.filter((u) => u.includes('/interaction/')), [], 'prompt=none showed a page');
      } finally {
        await context.close();
      }
    }),
  );
});
