// Load generator of the code-flow benchmark (see bench/README.md): virtual clients that each
// sign in once through the provider's pages, then loop over complete authorization code
// flows with the live session:
//
//   GET  authorization_endpoint ?response_type=code&scope=openid profile&PKCE S256&state&nonce
//        (with the session cookies)   -> 302/303 to the redirect URI with code, state (and iss)
//   POST token_endpoint  authorization_code, client_secret_basic -> 200 access_token, id_token
//   GET  userinfo_endpoint  Bearer access_token                   -> 200 claims, same sub
//
// A flow counts only when all three succeed. Each virtual client has its own keep-alive
// connection, cookie jar and user, and a fresh PKCE verifier, state and nonce per flow.
//
// Usage:
//   node loadgen.mjs --issuer URL --client-id ID --client-secret S --redirect-uri URI
//                    --users users.json [--check] [--concurrency 32] [--warmup 5]
//                    [--duration 20] [--server-pid PID] [--server-cpus LIST] [--pg-db NAME]
// users.json: [{ "username": ..., "password": ... }, ...]; client i signs in as user i mod n.
//
// --check runs one virtual client's sign-in and one full flow with strict checks (ES256 ID
// token signature, iss, aud, nonce, sub; UserInfo claims) and prints what it got. Otherwise
// prints one line "BENCH_RESULT <json>" on stdout. Failures print the exact request and
// response on stderr and exit 1.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Browser,
  authorizeWithSession,
  checkIdToken,
  discover,
  exchangeCode,
  fetchUserinfo,
  flowConfig,
  newAgent,
  printFailure,
  runLoad,
  signIn,
} from './oidc-load.mjs';

const { values: opt } = parseArgs({
  options: {
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    users: { type: 'string' },
    check: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '5' },
    duration: { type: 'string', default: '20' },
    'server-pid': { type: 'string' },
    'server-cpus': { type: 'string' },
    'pg-db': { type: 'string' },
  },
});
for (const k of ['issuer', 'client-id', 'client-secret', 'redirect-uri', 'users']) {
  if (!opt[k]) {
    console.error(`loadgen.mjs: --${k} is required`);
    process.exit(2);
  }
}
const log = (m) => console.error(`[loadgen] ${m}`);
const users = JSON.parse(readFileSync(opt.users, 'utf8'));

// The claims both servers must return for scope "openid profile".
const EXPECTED_CLAIMS = ['sub', 'name', 'preferred_username', 'updated_at'];

async function main() {
  const meta = await discover(opt.issuer);
  const cfg = flowConfig({
    issuer: opt.issuer,
    meta,
    clientId: opt['client-id'],
    clientSecret: opt['client-secret'],
    redirectUri: opt['redirect-uri'],
  });

  // A virtual client: its browser (cookies + connection) signs in once; the same
  // connection then carries the browser's and the client application's requests.
  const setup = async (i) => {
    const user = users[i % users.length];
    const browser = new Browser(newAgent(), cfg.origin);
    const { code, auth, steps } = await signIn(browser, cfg, user);
    const tokens = await exchangeCode(browser.agent, cfg, code, auth);
    const claims = await fetchUserinfo(browser.agent, cfg, tokens.access_token);
    return { browser, sub: claims.sub, user, steps, tokens, claims, auth };
  };

  const iterate = async (state) => {
    const { code, auth } = await authorizeWithSession(state.browser, cfg);
    const tokens = await exchangeCode(state.browser.agent, cfg, code, auth);
    const claims = await fetchUserinfo(state.browser.agent, cfg, tokens.access_token);
    if (claims.sub !== state.sub) throw new Error(`userinfo sub ${claims.sub}, expected ${state.sub}`);
    return { code, auth, tokens, claims };
  };

  if (opt.check) {
    const state = await setup(0);
    log(`signed in as ${state.user.username} in ${state.steps} requests; cookies: ${[...state.browser.jar.cookies.values()].map((c) => `${c.name} (path ${c.path})`).join(', ')}`);
    const flow = await iterate(state);
    const { header, payload } = await checkIdToken(cfg, flow.tokens.id_token, flow.auth.nonce, flow.claims.sub);
    const missing = EXPECTED_CLAIMS.filter((c) => flow.claims[c] === undefined);
    if (missing.length) {
      const err = new Error(`userinfo lacks ${missing.join(', ')}`);
      err.exchange = flow.claims.exchange();
      throw err;
    }
    const at = flow.tokens.access_token;
    const atKind = at.split('.').length === 3
      ? `JWT ${JSON.parse(Buffer.from(at.split('.')[0], 'base64url')).alg} (${at.length} chars)`
      : `opaque (${at.length} chars)`;
    const shown = Object.fromEntries(Object.entries(flow.claims).filter(([k]) => k !== 'exchange'));
    log(`flow ok: id_token ${header.alg} kid ${header.kid}, claims ${Object.keys(payload).sort().join(' ')}; access_token ${atKind}, expires_in ${flow.tokens.expires_in}, scope ${flow.tokens.scope ?? '(not returned)'}; userinfo ${JSON.stringify(shown)}`);
    browserDone(state);
    return;
  }

  const result = await runLoad({
    concurrency: Number(opt.concurrency),
    warmupS: Number(opt.warmup),
    durationS: Number(opt.duration),
    serverPid: opt['server-pid'],
    serverCpus: opt['server-cpus'],
    pgDb: opt['pg-db'],
    setup,
    iterate,
    log,
  });
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  for (const s of result.samples ?? []) {
    printFailure({ message: s.message, exchange: s.exchange, stack: s.stack }, `[loadgen] failed flow (${s.phase}, client ${s.client}): `);
  }
  process.exit(0);
}

function browserDone(state) {
  state.browser.agent.destroy();
}

main().catch((err) => {
  printFailure(err, '[loadgen] error: ');
  process.exit(1);
});
