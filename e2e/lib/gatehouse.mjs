// Starts and stops a real `gatehouse` binary for end-to-end tests.
//
// Environment:
//   GATEHOUSE_BIN               path to the gatehouse binary (required)
//   GATEHOUSE_E2E_DATABASE_URL  when set, passed as --database-url (e.g. a fresh, empty
//                               postgres://postgres@127.0.0.1:5432/gatehouse_e2e database);
//                               otherwise Gatehouse uses SQLite in the temporary data dir
//   GATEHOUSE_MASTER_KEY        passed through when set; otherwise a fresh random key is used
//                               (with GATEHOUSE_E2E_DATABASE_URL: a key derived from that URL,
//                               the same for every test file sharing the database)
//   GATEHOUSE_E2E_KEEP          set to 1 to keep the temporary data dir (and its server.log)
//   GATEHOUSE_E2E_READY_TIMEOUT seconds to wait for GET /readyz (default 60)
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Every server started by this process, so that none outlives it even on a crash. */
const running = new Set();

function killAllSync() {
  for (const server of running) {
    try {
      server.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAllSync();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

/** The gatehouse binary from GATEHOUSE_BIN; throws a clear error when unusable. */
export function gatehouseBin() {
  const bin = process.env.GATEHOUSE_BIN;
  if (!bin) {
    throw new Error(
      'GATEHOUSE_BIN is not set: point it at a built gatehouse binary, e.g. ' +
        'GATEHOUSE_BIN=$PWD/../target/debug/gatehouse npm run test:interop',
    );
  }
  if (!existsSync(bin) || !statSync(bin).isFile()) {
    throw new Error(`GATEHOUSE_BIN=${bin} does not exist or is not a file (build it with cargo build -p gatehouse)`);
  }
  return bin;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(path, bytes = 8000) {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > bytes ? `...${text.slice(-bytes)}` : text;
  } catch {
    return '(no log)';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The master key when GATEHOUSE_MASTER_KEY is not set: a fresh random one for a fresh SQLite
 * data dir; for a shared database (GATEHOUSE_E2E_DATABASE_URL), one derived from its URL, so
 * that every test file (each its own process) can open the signing keys the first one made.
 */
function testMasterKey(databaseUrl) {
  if (!databaseUrl) return randomBytes(32).toString('base64');
  return createHash('sha256').update(`gatehouse-e2e-master-key:${databaseUrl}`).digest('base64');
}

/**
 * Starts `gatehouse serve` on a free loopback port with a fresh data dir and waits for
 * GET /readyz to answer 200. Returns a handle with issuer, dataDir, admin(...) and stop().
 */
export async function startGatehouse() {
  const bin = gatehouseBin();
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-'));
  const databaseUrl = process.env.GATEHOUSE_E2E_DATABASE_URL || undefined;
  const env = { ...process.env };
  // Hermetic: the command line below decides these, not the caller's environment.
  for (const name of ['GATEHOUSE_DATABASE_URL', 'GATEHOUSE_DATA_DIR', 'GATEHOUSE_LISTEN', 'GATEHOUSE_ISSUER', 'GATEHOUSE_TENANT']) {
    delete env[name];
  }
  Object.assign(env, {
    GATEHOUSE_MASTER_KEY: process.env.GATEHOUSE_MASTER_KEY || testMasterKey(databaseUrl),
    RUST_BACKTRACE: process.env.RUST_BACKTRACE ?? '1',
  });
  const globalArgs = ['--data-dir', dataDir, ...(databaseUrl ? ['--database-url', databaseUrl] : [])];
  const logPath = join(dataDir, 'server.log');
  const readyTimeoutMs = 1000 * Number(process.env.GATEHOUSE_E2E_READY_TIMEOUT || 60);

  // A port can be taken between freePort() and the server's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const logFd = openSync(logPath, 'a');
    const child = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--issuer', issuer, ...globalArgs], {
      env,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const server = { child, issuer, port, dataDir, logPath, databaseUrl, exited: null };
    running.add(server);
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        server.exited = { code, signal };
        running.delete(server);
        resolve(server.exited);
      });
      child.once('error', (err) => {
        server.exited = { error: err };
        running.delete(server);
        resolve(server.exited);
      });
    });
    server.exitedPromise = exited;

    const deadline = Date.now() + readyTimeoutMs;
    let ready = false;
    while (!server.exited && Date.now() < deadline) {
      try {
        const res = await fetch(`${issuer}/readyz`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        if (res.status === 200) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (ready) {
      return makeHandle(server, bin, env, globalArgs);
    }
    if (!server.exited) {
      await stopServer(server);
      cleanup(server);
      throw new Error(`gatehouse serve did not answer 200 on ${issuer}/readyz within ${readyTimeoutMs / 1000}s; log:\n${tail(logPath)}`);
    }
    const log = tail(logPath);
    if (attempt < 3 && /address (already )?in use|EADDRINUSE/i.test(log)) {
      continue;
    }
    cleanup(server);
    throw new Error(`gatehouse serve exited before ready (${JSON.stringify(server.exited)}); log:\n${log}`);
  }
}

async function stopServer(server) {
  if (server.exited) return server.exited;
  server.child.kill('SIGTERM');
  const timeout = sleep(5000).then(() => 'timeout');
  if ((await Promise.race([server.exitedPromise, timeout])) === 'timeout') {
    server.child.kill('SIGKILL');
  }
  return server.exitedPromise;
}

function cleanup(server) {
  if (process.env.GATEHOUSE_E2E_KEEP === '1') {
    console.error(`# kept gatehouse data dir ${server.dataDir}`);
    return;
  }
  rmSync(server.dataDir, { recursive: true, force: true });
}

function makeHandle(server, bin, env, globalArgs) {
  return {
    issuer: server.issuer,
    port: server.port,
    dataDir: server.dataDir,
    databaseUrl: server.databaseUrl,
    logTail: () => tail(server.logPath),

    /** Runs `gatehouse admin ARGS... --json` against the same database; returns the parsed JSON. */
    async admin(...args) {
      const argv = ['admin', ...args, '--json', ...globalArgs];
      let stdout;
      try {
        ({ stdout } = await execFileP(bin, argv, { env, timeout: 60_000 }));
      } catch (err) {
        throw new Error(`gatehouse ${argv.join(' ')} failed (${err.code ?? err.signal}):\n${err.stderr ?? ''}${err.stdout ?? ''}`);
      }
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(`gatehouse ${argv.join(' ')} did not print one JSON object on stdout (contract); got:\n${stdout}`);
      }
    },

    /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its data dir. */
    async stop() {
      const status = await stopServer(server);
      cleanup(server);
      return status;
    },
  };
}
