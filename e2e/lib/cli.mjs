// Runs the real `gatehouse` CLI as a person would: a config dir of its own, no keychain
// reachable (D-Bus pointed nowhere, so the 0600 file fallback is what gets tested), a
// `$BROWSER` program that records the URL it is asked to open, and output captured.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { gatehouseBin } from './gatehouse.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fresh CLI home: config dir, and a $BROWSER script that writes the URL to a file. */
export async function cliHome() {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  const configDir = join(dir, 'config');
  const urlFile = join(dir, 'browser-url');
  const browser = join(dir, 'browser.sh');
  writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${urlFile}'\n`);
  chmodSync(browser, 0o755);
  const env = { ...process.env };
  for (const name of ['GATEHOUSE_TOKEN', 'GATEHOUSE_SERVER', 'GATEHOUSE_CLIENT_SECRET', 'DISPLAY', 'WAYLAND_DISPLAY', 'BROWSER', 'GATEHOUSE_NO_KEYCHAIN']) {
    delete env[name];
  }
  Object.assign(env, {
    GATEHOUSE_CONFIG_DIR: configDir,
    // No Secret Service here: the CLI must notice and fall back to its 0600 files.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}`,
  });
  return { dir, configDir, urlFile, browser, env };
}

/**
 * Starts `gatehouse ARGS` and collects its output. Returns { child, output(), exited }, where
 * exited resolves to { code, stdout, stderr }.
 */
export function start(home, args, { env = {}, stdin } = {}) {
  const child = spawn(gatehouseBin(), args, {
    env: { ...home.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  if (stdin !== undefined) child.stdin.end(stdin);
  else child.stdin.end();
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Runs `gatehouse ARGS` to completion (60 s at most). */
export async function run(home, args, options) {
  const proc = start(home, args, options);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 60_000);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** Waits until `predicate()` is truthy (polling), or throws after `ms`. */
export async function waitFor(predicate, ms, what, proc) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) {
      const output = proc ? `; the CLI's stderr so far:\n${proc.output().stderr}` : '';
      throw new Error(`timed out waiting for ${what}${output}`);
    }
    await sleep(50);
  }
}

/** The URL the $BROWSER script was called with, once it was. */
export async function browserUrl(home, proc, ms = 20_000) {
  await waitFor(() => existsSync(home.urlFile), ms, 'the CLI to open the browser', proc);
  return readFileSync(home.urlFile, 'utf8');
}
