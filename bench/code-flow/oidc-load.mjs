// Shared pieces of the browser-flow load generators (code-flow/loadgen.mjs and
// sign-in/loadgen.mjs): a minimal HTTP client on node:http with a keep-alive connection per
// virtual client, a cookie jar, the steps of the authorization code flow (sign-in through the
// provider's pages, authorize with a live session, code exchange, UserInfo), a load loop with
// warmup and measured phases, and CPU/RSS readings from /proc.
//
// Every failed step throws a FlowError carrying the exact request and response, so that a
// misbehaving server is reported with what it was sent and what it answered.
import { createHash, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';

// --- HTTP --------------------------------------------------------------------------------

/** A failed flow step, with the exchange that failed (when there was one). */
export class FlowError extends Error {
  constructor(message, exchange) {
    super(message);
    this.exchange = exchange;
  }
}

const MAX_BODY_IN_REPORT = 4000;

/** A request and its response, as reported when a step fails. */
function exchangeOf(method, url, headers, body, response) {
  return {
    request: { method, url, headers, body: body ?? null },
    response: response && {
      status: response.status,
      headers: response.rawHeaders,
      body: response.body.length > MAX_BODY_IN_REPORT
        ? `${response.body.slice(0, MAX_BODY_IN_REPORT)}... (${response.body.length} chars)`
        : response.body,
    },
  };
}

/**
 * One HTTP request on `agent`. Resolves with { status, headers (lower-case names), rawHeaders,
 * body (string), exchange() }; rejects with a FlowError on a socket error or timeout.
 */
export function httpRequest(agent, method, url, headers = {}, body = undefined, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = {
      method,
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      agent,
    };
    const req = http.request(options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const response = {
          status: res.statusCode,
          headers: res.headers,
          rawHeaders: pairs(res.rawHeaders),
          body: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
        };
        response.exchange = () => exchangeOf(method, url, headers, body, response);
        resolve(response);
      });
      res.on('error', (err) => reject(new FlowError(`response error: ${err.message}`, exchangeOf(method, url, headers, body))));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new FlowError(`request error: ${err.code ?? ''} ${err.message}`, exchangeOf(method, url, headers, body))));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function pairs(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push(`${raw[i]}: ${raw[i + 1]}`);
  return out;
}

/** A keep-alive agent with one connection: a virtual client's own socket. */
export function newAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

// --- cookies -----------------------------------------------------------------------------

/**
 * A cookie jar for one host: name -> { value, path }. Honors Path (RFC 6265 path-match),
 * Max-Age <= 0 and past Expires (deletion), and the empty value; ignores Domain and Secure
 * (everything is one plain-HTTP loopback host).
 */
export class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  store(setCookie) {
    if (!setCookie) return;
    for (const line of setCookie) {
      const parts = line.split(';');
      const eq = parts[0].indexOf('=');
      if (eq <= 0) continue;
      const name = parts[0].slice(0, eq).trim();
      const value = parts[0].slice(eq + 1).trim();
      let path = '/';
      let expired = value === '';
      for (let i = 1; i < parts.length; i++) {
        const [k, v = ''] = parts[i].split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path' && v.trim().startsWith('/')) path = v.trim();
        else if (key === 'max-age' && Number(v) <= 0) expired = true;
        else if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(pathname) {
    let out = '';
    for (const { name, value, path } of this.cookies.values()) {
      if (path === '/' || pathname === path || (pathname.startsWith(path)
        && (path.endsWith('/') || pathname[path.length] === '/'))) {
        out += out ? `; ${name}=${value}` : `${name}=${value}`;
      }
    }
    return out;
  }
}

/** A browser: a cookie jar on top of an agent. */
export class Browser {
  constructor(agent, origin) {
    this.agent = agent;
    this.origin = origin;
    this.jar = new CookieJar();
  }

  async request(method, url, headers = {}, body = undefined) {
    const pathname = new URL(url).pathname;
    const cookie = this.jar.header(pathname);
    const h = cookie ? { ...headers, cookie } : headers;
    const res = await httpRequest(this.agent, method, url, h, body);
    this.jar.store(res.headers['set-cookie']);
    return res;
  }
}

// --- OAuth / OIDC ------------------------------------------------------------------------

const b64url = (buf) => buf.toString('base64url');

/** Discovery document of an issuer. */
export async function discover(issuer) {
  const agent = newAgent();
  const res = await httpRequest(agent, 'GET', `${issuer}/.well-known/openid-configuration`);
  agent.destroy();
  if (res.status !== 200) throw new FlowError(`discovery answered ${res.status}`, res.exchange());
  const meta = JSON.parse(res.body);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    if (!meta[k]) throw new FlowError(`discovery has no ${k}`, res.exchange());
  }
  return meta;
}

/**
 * The flow configuration shared by all virtual clients.
 * { issuer, meta, clientId, clientSecret, redirectUri }
 */
export function flowConfig({ issuer, meta, clientId, clientSecret, redirectUri }) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return {
    issuer,
    origin: new URL(issuer).origin,
    meta,
    clientId,
    redirectUri,
    basic: `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`,
  };
}

/** A fresh authorization request: PKCE S256 verifier, state and nonce, and its URL. */
export function newAuthRequest(cfg) {
  const rnd = randomBytes(64);
  const verifier = b64url(rnd.subarray(0, 32));
  const state = b64url(rnd.subarray(32, 48));
  const nonce = b64url(rnd.subarray(48, 64));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const q = new URLSearchParams({
    client_id: cfg.clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: cfg.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: `${cfg.meta.authorization_endpoint}?${q}`, verifier, state, nonce };
}

function isRedirect(status) {
  return status === 302 || status === 303;
}

/**
 * If `location` is the client's redirect URI, the code it carries (checking state, iss and
 * the absence of an error); else undefined.
 */
function codeFrom(cfg, auth, location, res) {
  if (!location.startsWith(`${cfg.redirectUri}?`)) return undefined;
  const params = new URL(location).searchParams;
  if (params.get('error')) {
    throw new FlowError(`redirected with error ${params.get('error')}: ${params.get('error_description') ?? ''}`, res.exchange());
  }
  if (params.get('state') !== auth.state) throw new FlowError('redirect with wrong state', res.exchange());
  const iss = params.get('iss');
  if (iss !== null && iss !== cfg.issuer) throw new FlowError(`redirect with iss ${iss}`, res.exchange());
  const code = params.get('code');
  if (!code) throw new FlowError('redirect without code', res.exchange());
  return code;
}

const formRe = /<form\b[^>]*>/gi;
const inputRe = /<input\b[^>]*>/gi;
const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag);
  return m ? unescapeHtml(m[1]) : undefined;
};
function unescapeHtml(s) {
  return s.replace(/&(#x?[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos') return "'";
    return String.fromCodePoint(l[1] === 'x' ? Number.parseInt(l.slice(2), 16) : Number.parseInt(l.slice(1), 10));
  });
}

/** The first POST form of a page: its absolute action and its hidden fields. */
function postForm(html, pageUrl) {
  for (const m of html.matchAll(formRe)) {
    if ((attr(m[0], 'method') ?? 'get').toLowerCase() !== 'post') continue;
    const action = new URL(attr(m[0], 'action') ?? pageUrl, pageUrl).href;
    const end = html.indexOf('</form>', m.index);
    const inner = html.slice(m.index, end < 0 ? undefined : end);
    const hidden = {};
    for (const i of inner.matchAll(inputRe)) {
      if ((attr(i[0], 'type') ?? '').toLowerCase() === 'hidden' && attr(i[0], 'name')) {
        hidden[attr(i[0], 'name')] = attr(i[0], 'value') ?? '';
      }
    }
    return { action, hidden };
  }
  return undefined;
}

/**
 * A sign-in through the provider's pages, as a browser does: GET the authorization endpoint,
 * follow redirects to the sign-in page, POST its form with the hidden fields (CSRF token),
 * `identifier` and `password` and an Origin header, follow redirects until the client's
 * redirect URI. Returns { code, auth, steps } (steps: number of requests).
 */
export async function signIn(browser, cfg, user) {
  const auth = newAuthRequest(cfg);
  let url = auth.url;
  let posted = false;
  for (let steps = 1; steps <= 8; steps++) {
    const res = await browser.request('GET', url, { accept: 'text/html' });
    if (isRedirect(res.status)) {
      const location = new URL(res.headers.location, url).href;
      const code = codeFrom(cfg, auth, location, res);
      if (code) return { code, auth, steps };
      url = location;
      continue;
    }
    if (res.status !== 200 || posted) {
      throw new FlowError(`GET ${new URL(url).pathname} answered ${res.status}${posted ? ' after the sign-in POST' : ''}`, res.exchange());
    }
    const form = postForm(res.body, url);
    if (!form) throw new FlowError('the page has no POST form', res.exchange());
    const body = new URLSearchParams({ ...form.hidden, identifier: user.username, password: user.password }).toString();
    const post = await browser.request('POST', form.action, {
      'content-type': 'application/x-www-form-urlencoded',
      origin: browser.origin,
      accept: 'text/html',
    }, body);
    posted = true;
    steps++;
    if (!isRedirect(post.status)) {
      throw new FlowError(`sign-in POST answered ${post.status}, not a redirect`, post.exchange());
    }
    const location = new URL(post.headers.location, form.action).href;
    const code = codeFrom(cfg, auth, location, post);
    if (code) return { code, auth, steps };
    url = location;
  }
  throw new FlowError('sign-in did not reach the redirect URI within 8 requests');
}

/** GET the authorization endpoint with a live session: must redirect at once with a code. */
export async function authorizeWithSession(browser, cfg) {
  const auth = newAuthRequest(cfg);
  const res = await browser.request('GET', auth.url, { accept: 'text/html' });
  if (!isRedirect(res.status)) throw new FlowError(`authorize answered ${res.status}, not a redirect`, res.exchange());
  const location = new URL(res.headers.location, auth.url).href;
  const code = codeFrom(cfg, auth, location, res);
  if (!code) throw new FlowError(`authorize redirected to ${location}, not to the redirect URI (session not live?)`, res.exchange());
  return { code, auth };
}

/** Code exchange with client_secret_basic: 200 with access_token and id_token, no refresh_token. */
export async function exchangeCode(agent, cfg, code, auth) {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: cfg.redirectUri,
    code_verifier: auth.verifier,
  }).toString();
  const res = await httpRequest(agent, 'POST', cfg.meta.token_endpoint, {
    authorization: cfg.basic,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }, body);
  if (res.status !== 200) throw new FlowError(`token endpoint answered ${res.status}`, res.exchange());
  let tokens;
  try {
    tokens = JSON.parse(res.body);
  } catch {
    throw new FlowError('token response is not JSON', res.exchange());
  }
  if (typeof tokens.access_token !== 'string' || typeof tokens.id_token !== 'string') {
    throw new FlowError('token response lacks access_token or id_token', res.exchange());
  }
  if (String(tokens.token_type).toLowerCase() !== 'bearer') throw new FlowError(`token_type ${tokens.token_type}`, res.exchange());
  if (tokens.refresh_token !== undefined) throw new FlowError('unexpected refresh_token', res.exchange());
  tokens.exchange = res.exchange;
  return tokens;
}

/** UserInfo with the access token as a Bearer header: 200 with a JSON object with sub. */
export async function fetchUserinfo(agent, cfg, accessToken) {
  const res = await httpRequest(agent, 'GET', cfg.meta.userinfo_endpoint, {
    authorization: `Bearer ${accessToken}`,
    accept: 'application/json',
  });
  if (res.status !== 200) throw new FlowError(`userinfo answered ${res.status}`, res.exchange());
  let claims;
  try {
    claims = JSON.parse(res.body);
  } catch {
    throw new FlowError('userinfo response is not JSON', res.exchange());
  }
  if (typeof claims.sub !== 'string') throw new FlowError('userinfo without sub', res.exchange());
  claims.exchange = res.exchange;
  return claims;
}

/**
 * Full checks of one ID token (for the sanity check, not the loop): ES256 signature against
 * the JWKS, iss, aud, nonce, sub. Returns { header, payload }.
 */
export async function checkIdToken(cfg, idToken, nonce, sub) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const bad = [];
  if (header.alg !== 'ES256') bad.push(`alg ${header.alg}`);
  const agent = newAgent();
  const jwksRes = await httpRequest(agent, 'GET', cfg.meta.jwks_uri);
  agent.destroy();
  const jwk = JSON.parse(jwksRes.body).keys.find((k) => k.kid === header.kid);
  if (!jwk) bad.push(`no JWKS key with kid ${header.kid}`);
  else if (!verifySignature('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) {
    bad.push('bad signature');
  }
  if (payload.iss !== cfg.issuer) bad.push(`iss ${payload.iss}`);
  if (![payload.aud].flat().includes(cfg.clientId)) bad.push(`aud ${JSON.stringify(payload.aud)}`);
  if (payload.nonce !== nonce) bad.push(`nonce ${payload.nonce}`);
  if (payload.sub !== sub) bad.push(`sub ${payload.sub} (userinfo: ${sub})`);
  if (bad.length) throw new FlowError(`bad id_token: ${bad.join(', ')}`);
  return { header, payload };
}

// --- /proc -------------------------------------------------------------------------------

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid) {
  const { user, sys } = procStat(pid);
  return user + sys;
}

/** utime, stime (clock ticks) and minor page faults of a process (all its threads). */
export function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return { minflt: Number(f[7]), user: Number(f[11]), sys: Number(f[12]) };
}

/** Context switches (voluntary + involuntary) of a process's live threads. */
export function contextSwitches(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) total += Number(m[1]);
    } catch {
      // thread gone meanwhile
    }
  }
  return total;
}

/** VmRSS of a process in KiB. */
export function rssKib(pid) {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** CPU ticks per pid of the PostgreSQL backends connected to database `db`. */
export function pgBackendTicks(db) {
  const out = new Map();
  if (!db) return out;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // "postgres: [<cluster>: ]<user> <database> <host>(<port>) <state>"
      if (cmd.startsWith('postgres: ') && cmd.split(/[\s\0]+/).includes(db)) out.set(pid, cpuTicks(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU numbers of a taskset-style list ("0", "0-1", "0,2-3"). */
export function parseCpuList(list) {
  const cpus = [];
  for (const part of String(list).split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    for (let c = a; c <= b; c++) cpus.push(c);
  }
  return cpus;
}

/** Busy ticks (everything but idle and iowait) and steal ticks summed over `cpus`, from /proc/stat. */
export function cpuBusyTicks(cpus) {
  let busy = 0;
  let steal = 0;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m || !cpus.includes(Number(m[1]))) continue;
    const [user, nice, system, , , irq, softirq, st] = m[2].split(' ').map(Number);
    busy += user + nice + system + irq + softirq;
    steal += st;
  }
  return { busy, steal };
}

// --- load loop ---------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function errorSample(phase, client, err) {
  return { phase, client, message: err.message, exchange: err.exchange ?? null, stack: err.exchange ? undefined : err.stack };
}

/**
 * Runs `concurrency` virtual clients: each calls `setup(i)` once (all in parallel, not timed),
 * then `iterate(state)` in a loop. The first `warmupS` seconds are not counted; iterations
 * that end during the next `durationS` seconds are counted, with their latency. Failed
 * iterations are counted as errors in whichever phase they end (the first 5 are kept with
 * their exchange). Server and client CPU and the server's RSS are read at the measured
 * phase's bounds. Returns the statistics.
 */
export async function runLoad({ concurrency, warmupS, durationS, serverPid, serverCpus, pgDb, setup, iterate, log }) {
  const cpus = serverCpus ? parseCpuList(serverCpus) : [];
  const clkTck = 100; // USER_HZ on Linux
  const states = [];
  const samples = [];
  const errors = { setup: 0, warmup: 0, measured: 0, after: 0 };
  const setupStart = performance.now();
  const setupResults = await Promise.allSettled([...Array(concurrency).keys()].map((i) => setup(i)));
  setupResults.forEach((r, i) => {
    if (r.status === 'fulfilled') states.push(r.value);
    else {
      errors.setup++;
      if (samples.length < 5) samples.push(errorSample('setup', i, r.reason));
    }
  });
  log(`setup of ${concurrency} virtual clients: ${((performance.now() - setupStart) / 1000).toFixed(1)} s, ${errors.setup} failed`);
  if (errors.setup) return { errors, samples };

  let phase = warmupS > 0 ? 'warmup' : 'measured';
  let stop = false;
  let count = 0;
  let total = 0;
  let latencies = new Float64Array(1 << 16);
  let t0;
  let t1;

  const loop = async (state, i) => {
    while (!stop) {
      const start = performance.now();
      try {
        await iterate(state);
        total++;
        if (phase === 'measured') {
          if (count === latencies.length) {
            const bigger = new Float64Array(latencies.length * 2);
            bigger.set(latencies);
            latencies = bigger;
          }
          latencies[count++] = performance.now() - start;
        }
      } catch (err) {
        errors[phase]++;
        if (samples.length < 5) samples.push(errorSample(phase, i, err));
        await sleep(50);
      }
    }
  };

  const begin = () => {
    phase = 'measured';
    t0 = {
      wall: performance.now(),
      server: serverPid ? cpuTicks(serverPid) : 0,
      serverStat: serverPid ? procStat(serverPid) : null,
      switches: serverPid ? contextSwitches(serverPid) : 0,
      pg: pgBackendTicks(pgDb),
      cpus: cpuBusyTicks(cpus),
      client: process.cpuUsage(),
    };
  };
  if (phase === 'measured') begin();
  const loops = states.map((s, i) => loop(s, i));
  if (warmupS > 0) {
    log(`warmup ${warmupS}s`);
    await sleep(warmupS * 1000);
    begin();
  }
  log(`measuring ${durationS}s, ${concurrency} virtual clients`);
  await sleep(durationS * 1000);
  phase = 'after';
  const wallEnd = performance.now();
  t1 = {
    server: serverPid ? cpuTicks(serverPid) : 0,
    serverStat: serverPid ? procStat(serverPid) : null,
    switches: serverPid ? contextSwitches(serverPid) : 0,
    pg: pgBackendTicks(pgDb),
    cpus: cpuBusyTicks(cpus),
    client: process.cpuUsage(t0.client),
    rss: serverPid ? rssKib(serverPid) : 0,
  };
  stop = true;
  await Promise.race([Promise.all(loops), sleep(35000)]);

  const seconds = (wallEnd - t0.wall) / 1000;
  const sorted = latencies.subarray(0, count).sort();
  let pgTicks = 0;
  for (const [pid, ticks] of t1.pg) pgTicks += ticks - (t0.pg.get(pid) ?? 0);
  return {
    count,
    seconds,
    rate: count / seconds,
    latency_ms: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: count ? sorted[count - 1] : 0,
    },
    errors,
    samples,
    server_cpu_s: (t1.server - t0.server) / clkTck,
    server_user_s: serverPid ? (t1.serverStat.user - t0.serverStat.user) / clkTck : null,
    server_sys_s: serverPid ? (t1.serverStat.sys - t0.serverStat.sys) / clkTck : null,
    server_minflt: serverPid ? t1.serverStat.minflt - t0.serverStat.minflt : null,
    // Threads that exit during the run take their counts with them: a lower bound.
    server_context_switches: serverPid ? t1.switches - t0.switches : null,
    // Successful iterations in every phase (setup included), to relate database-wide
    // counters read around the whole run to one iteration.
    total_iterations: states.length + total,
    pg_cpu_s: pgDb ? pgTicks / clkTck : null,
    pg_backends: pgDb ? t1.pg.size : null,
    client_cpu_s: (t1.client.user + t1.client.system) / 1e6,
    server_rss_kib: t1.rss,
    // Time the server's CPUs spent on anything but the server (other processes, including
    // PostgreSQL backends when they run there), and the hypervisor's steal time, as a share
    // of those CPUs' capacity.
    server_cpus: cpus.length ? cpus : null,
    others_on_server_cpus_pct: cpus.length
      ? Math.max(0, (t1.cpus.busy - t0.cpus.busy) - (t1.server - t0.server)) / clkTck / seconds / cpus.length * 100
      : null,
    steal_on_server_cpus_pct: cpus.length ? (t1.cpus.steal - t0.cpus.steal) / clkTck / seconds / cpus.length * 100 : null,
  };
}

/** Prints a failed step's exchange readably on stderr. */
export function printFailure(err, prefix = '') {
  console.error(`${prefix}${err.message}`);
  if (err.exchange) {
    const { request, response } = err.exchange;
    console.error(`--- request\n${request.method} ${request.url}`);
    for (const [k, v] of Object.entries(request.headers ?? {})) console.error(`${k}: ${v}`);
    if (request.body) console.error(`\n${request.body}`);
    if (response) {
      console.error(`--- response\nHTTP ${response.status}`);
      for (const h of response.headers) console.error(h);
      console.error(`\n${response.body}`);
    } else {
      console.error('--- no response');
    }
  } else if (err.stack) {
    console.error(err.stack);
  }
}
