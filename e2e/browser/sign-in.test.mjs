// Browser: the hosted sign-in page in Debian's Chromium. Security headers and cookies of the
// page, a wrong then a right password, single sign-on across two apps, prompt=login (with a
// new session ID, S-02), and an interaction that cannot be finished in another browser (S-08).
//
// Run: GATEHOUSE_BIN=/path/to/gatehouse npm run test:browser
import assert from 'node:assert/strict';
import { before, after, describe, test } from 'node:test';

import { createRemoteJWKSet, jwtVerify } from 'jose';

import {
  assertCodeResponse,
  authorizationRequest,
  harness,
  recordNavigations,
  redeemCode,
  signIn,
  unique,
} from '../lib/browser.mjs';
import { gatehouseBin, startGatehouse } from '../lib/gatehouse.mjs';

gatehouseBin();

describe('sign-in page (browser)', () => {
  const { env, run } = harness({ before, after, startGatehouse });
  let web;
  let other;
  let user;
  const password = 'correct horse battery staple';

  before(async () => {
    const { gh, rp } = env;
    web = await gh.admin('apps', 'create', '--name', 'Web One', '--type', 'web', '--redirect-uri', rp.redirectUri);
    other = await gh.admin('apps', 'create', '--name', 'Web Two', '--type', 'web', '--redirect-uri', rp.redirectUri);
    const username = unique('alice');
    user = { username, ...(await gh.admin('users', 'create', '--username', username, '--email', `${username}@example.com`, '--password', password)) };
  });

  test(
    'the sign-in page sends a strict CSP, X-Frame-Options DENY, and HttpOnly SameSite=Lax cookies',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
        const response = await page.goto(req.url);
        assert.equal(response.status(), 200);
        assert.match(new URL(page.url()).pathname, /^\/interaction\/[^/]+$/, `not on an interaction page: ${page.url()}`);
        await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in' }).waitFor());

        // The authorize endpoint itself answered 303 to the interaction page.
        const hop = response.request().redirectedFrom();
        assert.ok(hop, 'the authorization endpoint did not redirect to the interaction page');
        assert.equal((await hop.response()).status(), 303, 'authorize -> interaction must be a 303');

        const headers = response.headers();
        const csp = headers['content-security-policy'];
        assert.ok(csp, 'no Content-Security-Policy on the sign-in page');
        assert.ok(csp.includes("frame-ancestors 'none'"), `CSP lacks frame-ancestors 'none': ${csp}`);
        assert.match(csp, /'nonce-[A-Za-z0-9+/_=-]{16,}'/, `CSP has no nonce: ${csp}`);
        assert.ok(!csp.includes("'unsafe-inline'"), `CSP allows 'unsafe-inline': ${csp}`);
        assert.ok(!csp.includes("'unsafe-eval'"), `CSP allows 'unsafe-eval': ${csp}`);
        assert.equal(headers['x-frame-options'], 'DENY');
        assert.equal(headers['x-content-type-options'], 'nosniff');
        assert.equal(headers['referrer-policy'], 'no-referrer', 'S-09: Referrer-Policy');
        assert.equal(headers['cross-origin-opener-policy'], 'same-origin', 'S-09: COOP');
        assert.match(headers['cache-control'] ?? '', /no-store/, 'the sign-in page may be cached');
        assert.equal(headers['access-control-allow-origin'], undefined, 'CORS header on a hosted page (P-18)');

        // The browser-binding cookie is set with the interaction.
        const binding = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-browser');
        assert.ok(binding, `no browser-binding cookie; cookies: ${JSON.stringify(await context.cookies())}`);
        assert.equal(binding.httpOnly, true, 'binding cookie is not HttpOnly');
        assert.equal(binding.sameSite, 'Lax', 'binding cookie is not SameSite=Lax');

        // Without "Keep me signed in", the session cookie lasts as long as the browser.
        const callback = rp.next();
        await signIn(page, user.username, password);
        assertCodeResponse((await callback).params, { state: req.state, issuer: gh.issuer });
        const session = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-session');
        assert.ok(session, `no session cookie after sign-in; cookies: ${JSON.stringify(await context.cookies())}`);
        assert.equal(session.httpOnly, true, 'session cookie is not HttpOnly');
        assert.equal(session.sameSite, 'Lax', 'session cookie is not SameSite=Lax');
        assert.equal(session.path, '/');
        assert.equal(session.expires, -1, 'without "Keep me signed in" the session cookie must not be persistent');
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'a wrong password shows an error (400); the right one delivers a code whose ID token names the user',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
        await page.goto(req.url);

        const failed = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/sign-in'));
        await signIn(page, user.username, `${password}!`);
        assert.equal((await failed).status(), 400, 'wrong credentials must answer 400');
        await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'The username, email or password is not correct.' }).waitFor());
        assert.equal(rp.received.filter((r) => r.params.state === req.state).length, 0, 'the client got a response after a wrong password');
        // The password is never echoed back into the form.
        assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');

        // The right password, by email this time, with "Keep me signed in".
        const callback = rp.next();
        await signIn(page, `${user.username}@example.com`, password, { remember: true });
        const { params } = await callback;
        assertCodeResponse(params, { state: req.state, issuer: gh.issuer });

        const session = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-session');
        assert.ok(session, 'no session cookie after sign-in');
        assert.ok(session.expires > Date.now() / 1000 + 60, `"Keep me signed in" must make the session cookie persistent (expires ${session.expires})`);
        assert.equal(session.httpOnly, true);
        assert.equal(session.sameSite, 'Lax');

        const tokens = await redeemCode(meta, { clientId: web.client_id, clientSecret: web.client_secret, code: params.code, verifier: req.verifier, redirectUri: rp.redirectUri });
        assert.equal(tokens.status, 200, `token endpoint: ${JSON.stringify(tokens.body)}`);
        const { payload } = await jwtVerify(tokens.body.id_token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
          issuer: gh.issuer,
          audience: web.client_id,
          algorithms: ['ES256'],
        });
        assert.equal(payload.sub, user.id);
        assert.equal(payload.nonce, req.nonce);
        assert.ok(Number.isInteger(payload.auth_time), 'no auth_time');
        assert.ok(Array.isArray(payload.amr) && payload.amr.includes('pwd'), `amr: ${JSON.stringify(payload.amr)}`);
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'single sign-on: a second app gets a code without any page; prompt=login asks again',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const first = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
        await page.goto(first.url);
        const callback1 = rp.next();
        await signIn(page, user.username, password);
        const firstCode = (await callback1).params;
        assertCodeResponse(firstCode, { state: first.state, issuer: gh.issuer });
        const t1 = await redeemCode(meta, { clientId: web.client_id, clientSecret: web.client_secret, code: firstCode.code, verifier: first.verifier, redirectUri: rp.redirectUri });
        assert.equal(t1.status, 200, JSON.stringify(t1.body));

        // Another app, same browser: straight back with a code, no hosted page in between.
        const navigations = recordNavigations(page);
        const second = authorizationRequest(meta, { clientId: other.client_id, redirectUri: rp.redirectUri });
        const callback2 = rp.next();
        await page.goto(second.url);
        const { params } = await callback2;
        assertCodeResponse(params, { state: second.state, issuer: gh.issuer });
        const pages = navigations.filter((u) => new URL(u).pathname.startsWith('/interaction/'));
        assert.deepEqual(pages, [], `SSO showed a page: ${JSON.stringify(navigations)}`);
        assert.ok(page.url().startsWith(rp.redirectUri), `the browser is not back at the client: ${page.url()}`);

        const t2 = await redeemCode(meta, { clientId: other.client_id, clientSecret: other.client_secret, code: params.code, verifier: second.verifier, redirectUri: rp.redirectUri });
        assert.equal(t2.status, 200, JSON.stringify(t2.body));
        const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
        const id1 = (await jwtVerify(t1.body.id_token, jwks, { issuer: gh.issuer, audience: web.client_id })).payload;
        const id2 = (await jwtVerify(t2.body.id_token, jwks, { issuer: gh.issuer, audience: other.client_id })).payload;
        assert.equal(id2.sub, id1.sub, 'SSO changed the subject');
        assert.equal(id2.sid, id1.sid, 'SSO should reuse the session (same sid)');
        assert.equal(id2.auth_time, id1.auth_time, 'SSO must not change auth_time');
        assert.equal(id2.nonce, second.nonce);

        // prompt=login: the sign-in page again, and a later auth_time after signing in.
        const sessionBefore = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-session')?.value;
        assert.ok(sessionBefore, 'no session cookie');
        await new Promise((r) => setTimeout(r, 1100));
        const third = authorizationRequest(meta, { clientId: other.client_id, redirectUri: rp.redirectUri, prompt: 'login' });
        await page.goto(third.url);
        await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in' }).waitFor(), 'prompt=login did not show the sign-in page');
        assert.equal(rp.received.filter((r) => r.params.state === third.state).length, 0, 'prompt=login answered without a sign-in');
        const callback3 = rp.next();
        await signIn(page, user.username, password);
        const p3 = (await callback3).params;
        assertCodeResponse(p3, { state: third.state, issuer: gh.issuer });
        const t3 = await redeemCode(meta, { clientId: other.client_id, clientSecret: other.client_secret, code: p3.code, verifier: third.verifier, redirectUri: rp.redirectUri });
        assert.equal(t3.status, 200, JSON.stringify(t3.body));
        const id3 = (await jwtVerify(t3.body.id_token, jwks, { issuer: gh.issuer, audience: other.client_id })).payload;
        assert.equal(id3.sub, id1.sub);
        assert.ok(id3.auth_time > id1.auth_time, `prompt=login must give a later auth_time (${id3.auth_time} <= ${id1.auth_time})`);
        // S-02: a sign-in gives a new session ID, never the one the browser held before.
        const sessionAfter = (await context.cookies(gh.issuer)).find((c) => c.name === 'gatehouse-session')?.value;
        assert.ok(sessionAfter, 'no session cookie after the second sign-in');
        assert.notEqual(sessionAfter, sessionBefore, 'the session cookie was kept across a new sign-in (S-02 fixation)');
      } finally {
        await context.close();
      }
    }),
  );

  test(
    'a sign-in page opened in one browser cannot be finished in another (S-08)',
    run(async () => {
      const { gh, rp, browser, meta } = env;
      const victim = await browser.newContext();
      const attacker = await browser.newContext();
      try {
        const pageA = await victim.newPage();
        const req = authorizationRequest(meta, { clientId: web.client_id, redirectUri: rp.redirectUri });
        await pageA.goto(req.url);
        await pageA.getByRole('heading', { name: 'Sign in' }).waitFor();
        const interactionUrl = pageA.url();

        // Another browser (no binding cookie) opens the same interaction and tries to finish it.
        const pageB = await attacker.newPage();
        await pageB.goto(interactionUrl);
        if ((await pageB.getByLabel('Username or email').count()) > 0) {
          await signIn(pageB, user.username, password);
          await pageB.waitForLoadState();
        }
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(rp.received.filter((r) => r.params.state === req.state).length, 0, 'the client got a response for a sign-in finished in another browser');
        assert.equal(new URL(pageB.url()).origin, gh.issuer, `the other browser left Gatehouse: ${pageB.url()}`);
        assert.equal((await attacker.cookies(gh.issuer)).filter((c) => c.name === 'gatehouse-session').length, 0, 'the other browser got a session');

        // The right browser can still finish it.
        const callback = rp.next();
        await signIn(pageA, user.username, password);
        assertCodeResponse((await callback).params, { state: req.state, issuer: gh.issuer });
      } finally {
        await victim.close();
        await attacker.close();
      }
    }),
  );
});
