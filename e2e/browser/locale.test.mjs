// Browser: the hosted pages in German, chosen by ui_locales=de or by the browser's
// Accept-Language; English otherwise.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:browser
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertCodeResponse, authorizationRequest, harness, unique } from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

describe('page language (browser)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let web;
  let user;
  const password = 'sprache passphrase 123';

  before(async () => {
    web = await env.gh.admin('apps', 'create', '--name', 'Sprach-App', '--type', 'web', '--redirect-uri', env.rp.redirectUri);
    const username = unique('dora');
    user = { username, ...(await env.gh.admin('users', 'create', '--username', username, '--password', password)) };
  });

  /** Asserts the German sign-in page, then signs in on it (German labels and button). */
  async function germanSignIn(page, req) {
    const { gh, rp } = env;
    await assert.doesNotReject(page.getByRole('heading', { name: 'Anmelden' }).waitFor(), 'no German heading "Anmelden"');
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.getByRole('heading', { name: 'Sign in' }).count(), 0, 'English heading on a German page');
    await page.getByLabel('Benutzername oder E-Mail').fill(user.username);
    // A wrong password first: the error is German too.
    await page.getByLabel('Passwort', { exact: true }).fill(`${password}x`);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.ok(!(await alert.innerText()).includes('The username, email or password is not correct.'), 'the error on a German page is English');
    await page.getByLabel('Passwort', { exact: true }).fill(password);
    const callback = rp.next();
    await page.getByRole('button', { name: 'Anmelden' }).click();
    assertCodeResponse((await callback).params, { state: req.state, issuer: gh.issuer });
  }

  test(
    'ui_locales=de shows the sign-in page in German',
    run(async () => {
      const { rp, browser, meta } = env;
      const context = await browser.newContext({ locale: 'en-US' });
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, ui_locales: 'de' });
        await page.goto(req.url);
        await germanSignIn(page, req);
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'Accept-Language de shows the sign-in page in German',
    run(async () => {
      const { rp, browser, meta } = env;
      const context = await browser.newContext({ locale: 'de-DE' });
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
        const response = await page.goto(req.url);
        assert.match(await response.request().headerValue('accept-language'), /^de/);
        await germanSignIn(page, req);
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'English by default, and the German sign-up page has German labels',
    run(async () => {
      const { rp, browser, meta } = env;
      const context = await browser.newContext({ locale: 'en-US' });
      try {
        const page = await context.newPage();
        await page.goto(authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri }).url);
        await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in' }).waitFor());
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');

        await page.goto(authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri, ui_locales: 'de', prompt: 'create' }).url);
        assert.equal(await page.locator('html').getAttribute('lang'), 'de');
        await page.getByLabel('Passwort', { exact: true }).waitFor();
        assert.equal(await page.getByRole('heading', { name: 'Create your account' }).count(), 0, 'English sign-up heading on a German page');
      } finally {
        await context.close();
      }
    }),
  );
});
