// Load generator of the sign-in benchmark (see bench/README.md): virtual clients that each
// loop over complete password sign-ins through Gatehouse's pages, as a new browser (empty
// cookie jar) every time:
//
//   GET  authorization_endpoint ?response_type=code&scope=openid profile&PKCE S256&state&nonce
//        -> 303 /interaction/<id>, Set-Cookie gatehouse-browser
//   GET  /interaction/<id>        -> 200 sign-in page (form action, hidden csrf)
//   POST /interaction/<id>/sign-in  csrf, identifier, password (Origin: issuer origin)
//        -> 303 to the redirect URI with code and state, Set-Cookie gatehouse-session
//
// A sign-in counts only when it ends in that redirect with a code. The code is not exchanged
// in the loop (--check does exchange it, and fetches UserInfo, to prove the sign-in real).
// Each virtual client keeps its own keep-alive connection and signs in as its own user.
//
// Usage:
//   node loadgen.mjs --issuer URL --client-id ID --client-secret S --redirect-uri URI
//                    --users users.json [--check] [--concurrency 16] [--warmup 5]
//                    [--duration 20] [--server-pid PID] [--server-cpus LIST] [--pg-db NAME]
// Prints one line "BENCH_RESULT <json>" on stdout; failures print the exact request and
// response on stderr.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Browser,
  FlowError,
  checkIdToken,
  discover,
  exchangeCode,
  fetchUserinfo,
  flowConfig,
  newAgent,
  printFailure,
  runLoad,
  signIn,
} from '../code-flow/oidc-load.mjs';

const { values: opt } = parseArgs({
  options: {
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    users: { type: 'string' },
    check: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '16' },
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

async function main() {
  const meta = await discover(opt.issuer);
  const cfg = flowConfig({
    issuer: opt.issuer,
    meta,
    clientId: opt['client-id'],
    clientSecret: opt['client-secret'],
    redirectUri: opt['redirect-uri'],
  });
  const setup = async (i) => ({ agent: newAgent(), user: users[i % users.length] });
  const iterate = async (state) => {
    const browser = new Browser(state.agent, cfg.origin); // a new browser: no cookies
    const result = await signIn(browser, cfg, state.user);
    if (result.steps !== 3) {
      throw new FlowError(`sign-in took ${result.steps} requests, expected 3 (authorize, page, POST)`);
    }
    return { ...result, browser };
  };

  if (opt.check) {
    const state = await setup(0);
    const { code, auth, browser } = await iterate(state);
    const session = [...browser.jar.cookies.values()].map((c) => c.name).join(', ');
    const tokens = await exchangeCode(state.agent, cfg, code, auth);
    const claims = await fetchUserinfo(state.agent, cfg, tokens.access_token);
    await checkIdToken(cfg, tokens.id_token, auth.nonce, claims.sub);
    log(`sign-in ok as ${state.user.username} in 3 requests (cookies: ${session}); its code exchanged, id_token valid, userinfo sub ${claims.sub}`);
    state.agent.destroy();
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
    printFailure({ message: s.message, exchange: s.exchange, stack: s.stack }, `[loadgen] failed sign-in (${s.phase}, client ${s.client}): `);
  }
  process.exit(0);
}

main().catch((err) => {
  printFailure(err, '[loadgen] error: ');
  process.exit(1);
});
