// Interop: the device authorization grant (RFC 8628) as openid-client v6 runs it against
// Gatehouse (initiateDeviceAuthorization, then pollDeviceAuthorizationGrant, which honours
// `interval` and `slow_down`), while a person in a real browser (Debian's Chromium) opens the
// verification URI, signs in, confirms the code and allows the device. Also: the built-in
// `gatehouse-cli` application has the device flow on, and a denial reaches the device as
// access_denied.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:interop
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as client from 'openid-client';

import { harness, signIn, unique } from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

describe('device authorization grant (openid-client + Chromium)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let username;
  const password = 'interop device flow passphrase';

  before(async () => {
    username = unique('dev');
    await env.gh.admin('users', 'create', '--username', username, '--password', password);
  });

  /** A person approves (or denies) the request shown by `response` in the browser. */
  async function answerOnThePage(response, decision) {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      // verification_uri_complete fills in the code; the person still confirms (RFC 8628 §5.4).
      await page.goto(response.verification_uri_complete);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(page, username, password);
      await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
      assert.equal(await page.getByLabel('Code').inputValue(), response.user_code);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: /^Connect .+\?$/ }).waitFor();
      const text = await page.locator('main').innerText();
      assert.ok(text.includes(response.user_code), 'the confirmation shows the code to compare');
      assert.match(text, /IP address/, 'the confirmation says where the request came from');
      await page.getByRole('button', { name: decision === 'allow' ? 'Allow' : 'Deny' }).click();
      await page
        .getByRole('heading', { name: decision === 'allow' ? 'Device connected' : 'Request denied' })
        .waitFor();
    } finally {
      await context.close();
    }
  }

  test('the CLI app: approve in the browser, the device gets tokens once', run(async () => {
    const config = await client.discovery(new URL(env.gh.issuer), 'gatehouse-cli', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const meta = config.serverMetadata();
    assert.equal(typeof meta.device_authorization_endpoint, 'string');
    assert.ok(meta.grant_types_supported.includes('urn:ietf:params:oauth:grant-type:device_code'));

    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    assert.match(response.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(response.interval, 5);
    assert.equal(response.expires_in, 600);

    const polling = client.pollDeviceAuthorizationGrant(config, response);
    await answerOnThePage(response, 'allow');
    const tokens = await polling;
    const claims = tokens.claims();
    assert.equal(claims.iss, env.gh.issuer);
    assert.equal(claims.aud, 'gatehouse-cli');
    assert.equal(typeof tokens.refresh_token, 'string');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.preferred_username, username);
  }));

  test('a denial reaches the device as access_denied', run(async () => {
    const config = await client.discovery(new URL(env.gh.issuer), 'gatehouse-cli', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = client.pollDeviceAuthorizationGrant(config, response).then(
      () => assert.fail('tokens after a denial'),
      (err) => err,
    );
    await answerOnThePage(response, 'deny');
    const err = await polling;
    assert.ok(err instanceof client.ResponseBodyError, `${err}`);
    assert.equal(err.error, 'access_denied');
  }));
});
