// Interop: the `gatehouse-cli-auth` library (its example CLI, crates/cli-auth/examples/login.rs)
// logging in to node-oidc-provider, an OpenID provider no one here wrote, with Debian's
// Chromium as the browser: loopback redirect with PKCE (port chosen at run time, RFC 8252
// §7.3), `iss` in the response (RFC 9207), refresh with rotation when the access token has
// expired, and logout revoking at the provider.
//
// Run: GATEHOUSE_BIN=/path/to/target/debug/gatehouse npm run test:interop
// (the example binary is found next to it: target/debug/examples/login).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import Provider from 'oidc-provider';

import { launchBrowser } from '../lib/browser.mjs';
import { cliHome } from '../lib/cli.mjs';
import { freePort, gatehouseBin } from '../lib/gatehouse.mjs';

const example = join(dirname(gatehouseBin()), 'examples', 'login');
if (!existsSync(example)) {
  throw new Error(`${example} is missing: build it with cargo build -p gatehouse-cli-auth --example login`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('gatehouse-cli-auth against node-oidc-provider', () => {
  let server;
  let issuer;
  let browser;
  let home;

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'example-cli',
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          redirect_uris: ['http://127.0.0.1/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
      features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
      pkce: { required: () => true },
      scopes: ['openid', 'profile', 'offline_access'],
      rotateRefreshToken: true,
      findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    });
    server = provider.listen(port);
    browser = await launchBrowser();
    // The CLI home of the e2e/cli tests (no keychain, a recording $BROWSER), for the example.
    home = await cliHome();
    home.env = { ...home.env, EXAMPLE_CONFIG_DIR: home.configDir, BROWSER: home.browser };
  });

  after(async () => {
    await browser?.close().catch(() => {});
    server?.close();
  });

  function cli(args) {
    const child = spawn(example, args, { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
    return { child, exited };
  }

  async function userinfo(token) {
    const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    return fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${token}` } });
  }

  test('loopback login, refresh with rotation, logout', async () => {
    const login = cli(['login', '--issuer', issuer, '--client-id', 'example-cli', '--prompt', 'consent']);
    const deadline = Date.now() + 20_000;
    while (!existsSync(home.urlFile)) {
      assert.ok(Date.now() < deadline, 'the example never opened the browser');
      await sleep(50);
    }
    const url = new URL(readFileSync(home.urlFile, 'utf8'));
    assert.equal(new URL(url.searchParams.get('redirect_uri')).hostname, '127.0.0.1');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await page.locator('input[name=login]').fill('alice');
      await page.locator('input[name=password]').fill('anything');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    } finally {
      await context.close();
    }
    const done = await login.exited;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /Logged in to .* as alice/);

    const first = await cli(['token']).exited;
    assert.equal(first.code, 0, first.stderr);
    const token = first.stdout.trim();
    assert.equal((await userinfo(token)).status, 200);

    // Expire the stored access token: the next call refreshes and stores the rotated token.
    const dir = join(home.configDir, 'credentials');
    const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.json')));
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(stored.tokens.refresh_token, 'no refresh token was issued');
    stored.tokens.expires_at = 1;
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
    const second = await cli(['token']).exited;
    assert.equal(second.code, 0, second.stderr);
    assert.notEqual(second.stdout.trim(), token);
    assert.equal((await userinfo(second.stdout.trim())).status, 200);
    const rotated = JSON.parse(readFileSync(file, 'utf8'));
    assert.notEqual(rotated.tokens.refresh_token, stored.tokens.refresh_token, 'the rotated refresh token was not kept');

    const out = await cli(['logout']).exited;
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /revoked at the server: true/);
    assert.ok(!existsSync(file));
    assert.equal((await userinfo(second.stdout.trim())).status, 401, 'the access token was not revoked');
  });
});
