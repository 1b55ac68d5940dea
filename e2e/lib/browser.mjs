// Helpers for the browser flow tests: Debian's Chromium driven by playwright-core, a tiny
// relying party on 127.0.0.1 acting as the redirect URI, PKCE and the token request.
//
// Environment:
//   GATEHOUSE_E2E_CHROMIUM  the Chromium binary (default /usr/bin/chromium, Debian's package);
//                           playwright's own browser downloads are never used
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.GATEHOUSE_E2E_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Debian's headless Chromium; throws a clear error when it is not installed. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} does not exist: install Debian's Chromium (apt-get install -y chromium) or set GATEHOUSE_E2E_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** base64url of random bytes. */
export const randomToken = (bytes = 16) => randomBytes(bytes).toString('base64url');

/** A PKCE pair (RFC 7636, S256). */
export function pkce() {
  const verifier = randomToken(32);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** The payload of a JWT, without verifying it (verification is done with jose where it matters). */
export function jwtPayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/**
 * A relying party: an HTTP server on 127.0.0.1 (random port) that records every request it
 * receives (method, path, query or form body) and answers a small HTML page.
 */
export async function startRelyingParty() {
  const received = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url, origin);
      const body = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'] ?? '';
      const form = req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded');
      const record = {
        method: req.method,
        path: url.pathname,
        url: url.href,
        query: Object.fromEntries(url.searchParams),
        body,
        contentType,
        // The authorization response: the query of a GET, the form of a form_post.
        params: form ? Object.fromEntries(new URLSearchParams(body)) : Object.fromEntries(url.searchParams),
      };
      if (url.pathname !== '/favicon.ico') {
        received.push(record);
        for (const waiter of waiters.splice(0)) {
          if (waiter.path === record.path) waiter.resolve(record);
          else waiters.push(waiter);
        }
      }
      res.writeHead(url.pathname === '/favicon.ico' ? 404 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end('<!DOCTYPE html><html lang="en"><head><title>Relying party</title></head><body><h1>Relying party</h1></body></html>');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const rp = {
    origin,
    redirectUri: `${origin}/cb`,
    postLogoutRedirectUri: `${origin}/signed-out`,
    received,
    /**
     * A promise for the next request on `path` (default /cb); call it before the action
     * that makes the browser go there.
     */
    next(path = '/cb', timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const waiter = { path, resolve: (r) => { clearTimeout(timer); resolve(r); } };
        const timer = setTimeout(async () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          let shown = '';
          try {
            shown = (await rp.describe?.()) ?? '';
          } catch {
            // best effort
          }
          reject(new Error(`the relying party received no request on ${path} within ${timeoutMs} ms${shown}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    /** Set by the harness: what the browser shows, for the message of a timeout. */
    describe: undefined,
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return rp;
}

/** What the open pages of a browser show (URL, status-like text), for failure messages. */
export async function describePages(browser) {
  const lines = [];
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      let text = '';
      try {
        text = (await page.locator('body').innerText({ timeout: 1000 })).replace(/\s+/g, ' ').slice(0, 300);
      } catch {
        // page gone
      }
      lines.push(`\n  the browser shows ${page.url()}: ${text}`);
    }
  }
  return lines.join('');
}

/**
 * Records the top-level navigations of a page (every hop of a redirect chain included), so a
 * test can tell whether a hosted page was shown.
 */
export function recordNavigations(page) {
  const urls = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      urls.push(request.url());
    }
  });
  return urls;
}

/**
 * The authorization URL (from discovery) for a code flow with PKCE S256, state and nonce.
 * `extra` adds or overrides parameters. Returns { url, state, nonce, verifier }.
 */
export function authorizationRequest(meta, { clientId, redirectUri, scope = 'openid profile email', ...extra }) {
  const { verifier, challenge } = pkce();
  const state = randomToken();
  const nonce = randomToken();
  const url = new URL(meta.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return { url: url.href, state: params.state, nonce: params.nonce, verifier };
}

/** Fills and submits the sign-in form as a person would (fields by label, button by role). */
export async function signIn(page, identifier, password, { remember = false } = {}) {
  await page.getByLabel('Username or email').fill(identifier);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (remember) {
    await page.getByLabel('Keep me signed in on this device').check();
  }
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Redeems an authorization code at the token endpoint with fetch (client_secret_basic when a
 * secret is given, else a public client). Returns { status, headers, body }.
 */
export async function redeemCode(meta, { clientId, clientSecret, code, verifier, redirectUri }) {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (clientSecret) {
    const enc = (s) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
  }
  const res = await fetch(meta.token_endpoint, { method: 'POST', headers, body: form });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { unparsed: text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** Asserts an authorization response carries a code, the state and iss (RFC 9207). */
export function assertCodeResponse(params, { state, issuer }) {
  assert.equal(params.error, undefined, `authorization error: ${JSON.stringify(params)}`);
  assert.equal(typeof params.code, 'string', `no code in ${JSON.stringify(params)}`);
  assert.ok(params.code.length >= 16, `code too short: ${params.code}`);
  assert.equal(params.state, state, 'state not echoed unchanged');
  assert.equal(params.iss, issuer, 'iss (RFC 9207) missing or not the issuer');
}

/** Asserts an authorization error response: the error, the state, iss, and no code. */
export function assertErrorResponse(params, { error, state, issuer }) {
  assert.equal(params.error, error, `expected error=${error}, got ${JSON.stringify(params)}`);
  assert.equal(params.code, undefined, `an error response carries a code: ${JSON.stringify(params)}`);
  assert.equal(params.state, state, 'state not echoed unchanged on the error response');
  assert.equal(params.iss, issuer, 'iss (RFC 9207) missing or not the issuer on the error response');
}

/**
 * Test harness for one file: a fresh Gatehouse, a relying party and a browser, started before
 * the tests and stopped after them; the server log is printed when a test failed.
 * Returns `env` (filled in before the tests run: gh, rp, browser, meta) and `run`, a wrapper
 * for test bodies that remembers failures.
 */
export function harness({ before, after, startGatehouse }) {
  const env = { failed: false };
  before(async () => {
    env.gh = await startGatehouse();
    env.rp = await startRelyingParty();
    env.browser = await launchBrowser();
    env.rp.describe = () => describePages(env.browser);
    env.meta = await (await fetch(`${env.gh.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(env.meta.issuer, env.gh.issuer);
  });
  after(async () => {
    await env.browser?.close().catch(() => {});
    await env.rp?.close();
    if (!env.gh) return;
    if (env.failed) {
      console.error(`# gatehouse server log (${env.gh.issuer}):\n${env.gh.logTail()}`);
    }
    const status = await env.gh.stop();
    if (status?.signal === 'SIGKILL') {
      console.error('# gatehouse did not exit within 5 s of SIGTERM and was killed');
    }
  });
  const run = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (err) {
      env.failed = true;
      throw err;
    }
  };
  return { env, run };
}

/** A name that is unique across test files sharing one PostgreSQL database. */
export const unique = (prefix) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
