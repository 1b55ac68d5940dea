// The real `gatehouse` CLI logging in to the real server, with Debian's Chromium as the
// person's browser: the loopback flow (browser + PKCE on 127.0.0.1), the device flow (and
// the automatic fallback to it when no browser can be opened), the stored credentials (0600
// files when no keychain is reachable), transparent refresh with rotation, the clear re-login
// message when the refresh token is revoked, tokens for the Management API by refresh (only
// for administrators), logout revoking at the server, and no token in any output except
// `auth token`'s.
//
// Each test works in its own tenant (`<base>/t/NAME`), so it can bootstrap an administrator
// even when test files share one PostgreSQL database.
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:cli
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { harness, signIn, unique } from '../lib/browser.mjs';
import { browserUrl, cliHome, run, start, waitFor } from '../lib/cli.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

const mode = (path) => statSync(path).mode & 0o777;

describe('gatehouse auth (CLI + Chromium)', () => {
  const { env, run: wrap } = harness({ before, after, startGatehouse });
  const password = 'cli login passphrase 1';
  let tenant;
  let issuer;
  let admin;
  let person;

  before(async () => {
    const name = unique('cli').toLowerCase().replace(/_/g, '-');
    tenant = await env.gh.admin('tenants', 'create', name);
    // The admin command does not know the test server's address: the tenant lives under it.
    issuer = `${env.gh.issuer}/t/${name}`;
    assert.ok(tenant.issuer.endsWith(`/t/${name}`));
    admin = { email: `${name}-admin@example.com` };
    await env.gh.admin('bootstrap', '--tenant', name, '--email', admin.email, '--password', password);
    person = { username: unique('bob') };
    await env.gh.admin('users', 'create', '--tenant', name, '--username', person.username, '--password', password);
  });

  /** Completes a sign-in on the hosted page in a fresh browser context. */
  async function browse(url, identifier, fn) {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(page, identifier, password);
      if (fn) await fn(page);
    } finally {
      await context.close();
    }
  }

  function credentialsFile(home) {
    const status = JSON.parse(readFileSync(join(home.configDir, 'logins.json'), 'utf8'));
    assert.ok(status.logins.length >= 1);
    return join(home.configDir, 'credentials');
  }

  async function status(home) {
    const result = await run(home, ['auth', 'status', '--json']);
    return { ...result, json: JSON.parse(result.stdout) };
  }

  async function userinfo(token) {
    const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    return fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${token}` } });
  }

  test('browser login on a 127.0.0.1 callback, then tokens, refresh, revocation and logout', wrap(async () => {
    const home = await cliHome();
    const login = start(home, ['auth', 'login', '--server', issuer], { env: { BROWSER: home.browser } });
    const url = new URL(await browserUrl(home, login));

    // The authorization request: loopback IP literal, S256, a long fresh state (RFC 8252, 7636).
    assert.equal(`${url.origin}${url.pathname}`, `${issuer}/oauth2/authorize`);
    const redirect = new URL(url.searchParams.get('redirect_uri'));
    assert.equal(redirect.hostname, '127.0.0.1');
    assert.ok(Number(redirect.port) > 0);
    assert.equal(url.searchParams.get('client_id'), 'gatehouse-cli');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('state').length >= 43, 'state has at least 256 bits');
    assert.equal(url.searchParams.get('response_type'), 'code');
    await waitFor(() => login.output().stderr.includes(url.href), 5000, 'the URL on stderr', login);

    // A forged callback without the right state is refused and does not end the login.
    const forged = await fetch(`${redirect.origin}${redirect.pathname}?code=forged&state=wrong`);
    assert.equal(forged.status, 400);

    await browse(url.href, admin.email, async (page) => {
      await page.getByRole('heading', { name: 'Signed in' }).waitFor();
      assert.match(await page.locator('body').innerText(), /close this tab/);
    });
    const done = await login.exited;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, new RegExp(`Logged in to ${issuer.replace(/[./]/g, '\\$&')} as ${admin.email}`));
    // The callback server is gone.
    await assert.rejects(fetch(`${redirect.origin}${redirect.pathname}?code=late&state=${url.searchParams.get('state')}`));

    // Stored in 0600 files in a 0700 directory, and status says so.
    const st = await status(home);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.json.logged_in, true);
    assert.equal(st.json.server, issuer);
    assert.equal(st.json.user, admin.email);
    assert.equal(st.json.method, 'browser');
    assert.equal(st.json.storage, 'file');
    assert.equal(mode(home.configDir), 0o700);
    assert.equal(mode(credentialsFile(home)), 0o700);
    assert.equal(mode(st.json.credentials_file), 0o600);
    const warned = await run(home, ['auth', 'status']);
    assert.match(warned.stderr, /no system keychain/i);

    // The login's own token works at UserInfo; a Management API token comes by refresh.
    const own = await run(home, ['auth', 'token']);
    assert.equal(own.code, 0, own.stderr);
    const token = own.stdout.trim();
    assert.equal((await userinfo(token)).status, 200);
    const mgmt = await run(home, ['auth', 'token', '--resource', `${issuer}/api`]);
    assert.equal(mgmt.code, 0, mgmt.stderr);
    const apps = await fetch(`${issuer}/api/applications`, { headers: { authorization: `Bearer ${mgmt.stdout.trim()}` } });
    assert.equal(apps.status, 200, 'an administrator lists applications with the CLI token');

    // Nothing but `auth token` prints a token.
    const stored = JSON.parse(readFileSync(st.json.credentials_file, 'utf8'));
    const secrets = [stored.tokens.access_token, stored.tokens.refresh_token];
    for (const out of [done.stdout, done.stderr, st.stdout, st.stderr, warned.stdout, warned.stderr, mgmt.stderr, own.stderr]) {
      for (const secret of secrets) assert.ok(!out.includes(secret), 'a token leaked into CLI output');
    }

    // An expired access token is renewed transparently; the rotated refresh token is kept.
    stored.tokens.expires_at = 1;
    writeFileSync(st.json.credentials_file, JSON.stringify(stored), { mode: 0o600 });
    const renewed = await run(home, ['auth', 'token', '--debug']);
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.notEqual(renewed.stdout.trim(), token);
    assert.equal((await userinfo(renewed.stdout.trim())).status, 200);
    assert.match(renewed.stderr, /refresh_token=\[redacted\]/, '--debug shows the request');
    const rotated = JSON.parse(readFileSync(st.json.credentials_file, 'utf8'));
    assert.notEqual(rotated.tokens.refresh_token, stored.tokens.refresh_token, 'the rotated refresh token was not stored');
    for (const secret of [...secrets, rotated.tokens.refresh_token, rotated.tokens.access_token]) {
      assert.ok(!renewed.stderr.includes(secret), '--debug printed a token');
    }
    assert.equal(mode(st.json.credentials_file), 0o600);

    // Two commands renewing at once: one refreshes under the lock, the other uses its result;
    // neither presents a used refresh token (which would revoke the whole login).
    const current = JSON.parse(readFileSync(st.json.credentials_file, 'utf8'));
    current.tokens.expires_at = 1;
    writeFileSync(st.json.credentials_file, JSON.stringify(current), { mode: 0o600 });
    const both = await Promise.all([run(home, ['auth', 'token']), run(home, ['auth', 'token'])]);
    for (const one of both) assert.equal(one.code, 0, one.stderr);
    assert.equal(both[0].stdout, both[1].stdout, 'the second command did not reuse the renewed token');
    const later = JSON.parse(readFileSync(st.json.credentials_file, 'utf8'));
    later.tokens.expires_at = 1;
    writeFileSync(st.json.credentials_file, JSON.stringify(later), { mode: 0o600 });
    const third = await run(home, ['auth', 'token']);
    assert.equal(third.code, 0, `the login did not survive concurrent renewals: ${third.stderr}`);
    const survivor = JSON.parse(readFileSync(st.json.credentials_file, 'utf8'));

    // A revoked refresh token: the clear re-login message, exit code 4.
    const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    const revoke = await fetch(meta.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: survivor.tokens.refresh_token, token_type_hint: 'refresh_token', client_id: 'gatehouse-cli' }),
    });
    assert.equal(revoke.status, 200);
    survivor.tokens.expires_at = 1;
    writeFileSync(st.json.credentials_file, JSON.stringify(survivor), { mode: 0o600 });
    const expired = await run(home, ['auth', 'token']);
    assert.equal(expired.code, 4);
    assert.equal(expired.stdout, '');
    assert.match(expired.stderr, /Session expired\. Run `gatehouse auth login`\./);

    // Nor does the server log any of them.
    const serverLog = readFileSync(join(env.gh.dataDir, 'server.log'), 'utf8');
    for (const secret of [...secrets, rotated.tokens.refresh_token, rotated.tokens.access_token, survivor.tokens.refresh_token]) {
      assert.ok(!serverLog.includes(secret), 'a token appears in the server log');
    }

    // Logout deletes the local copies.
    const out = await run(home, ['auth', 'logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.ok(!existsSync(st.json.credentials_file));
    const after = await status(home);
    assert.equal(after.code, 4);
    assert.equal(after.json.logged_in, false);
  }));

  test('device flow: approved in the browser; no Management API for a non-administrator; logout revokes', wrap(async () => {
    const home = await cliHome();
    const login = start(home, ['auth', 'login', '--server', issuer, '--device']);
    const shown = await waitFor(() => /visit (\S+) and enter the code:\s+(\S+)/.exec(login.output().stderr), 20_000, 'the device code', login);
    const [, verificationUri, userCode] = shown;
    assert.equal(verificationUri, `${issuer}/device`);
    await browse(verificationUri, person.username, async (page) => {
      await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
      await page.getByLabel('Code').fill(userCode);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: /^Connect .+\?$/ }).waitFor();
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    });
    const done = await login.exited;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, new RegExp(`as ${person.username}`));

    const st = await status(home);
    assert.equal(st.json.method, 'device');
    const own = await run(home, ['auth', 'token']);
    assert.equal((await userinfo(own.stdout.trim())).status, 200);

    // Not an administrator: the grant does not cover the Management API.
    const mgmt = await run(home, ['auth', 'token', '--resource', `${issuer}/api`]);
    assert.notEqual(mgmt.code, 0);
    assert.equal(mgmt.stdout, '');
    assert.match(mgmt.stderr, /invalid_target/);

    // Logout revokes at the server: the token stops working.
    const out = await run(home, ['auth', 'logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.doesNotMatch(out.stderr, /could not revoke/);
    assert.equal((await userinfo(own.stdout.trim())).status, 401);
  }));

  test('without a display or $BROWSER the login falls back to the device flow', wrap(async () => {
    const home = await cliHome();
    const login = start(home, ['auth', 'login', '--server', issuer]);
    await waitFor(() => /enter the code/.test(login.output().stderr), 20_000, 'the fallback to a code', login);
    assert.match(login.output().stderr, /No browser can be opened here/);
    login.child.kill('SIGTERM');
    await login.exited;
  }));
});
