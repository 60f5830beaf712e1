#!/usr/bin/env node
// Integration test of anarq's Kubo RPC subset (/api/v0) and trustless gateway (/ipfs/{cid}),
// with the official kubo-rpc-client, unchanged, as the reference client.
//
//   usage: node kubo_client_test.mjs /path/to/anarq
//
// Each scenario starts its own `anarq --data-dir TMP serve --listen 127.0.0.1:0` (fresh data dir)
// and has a 30 s budget:
//   a. add: CIDs equal Kubo's (known values for fixed inputs; for random inputs the CLI's
//      `anarq add --only-hash -q` and an independent reference, ipfs-unixfs-importer configured
//      like Kubo: 256 KiB chunks, balanced layout with 174 links, v0 = dag-pb leaves,
//      v1 = raw leaves)
//   b. cat: whole files and offset/length slices
//   c. pins, blocks, version and id
//   d. dag.export from one node, dag.import into a second one
//   e. repo.gc removes unpinned blocks only
//   f. raw HTTP: gateway ?format=raw|car, Accept, Range, 404/400 errors, truncated multipart,
//      corrupted CAR import
//
// A scenario runs all of its checks even after one fails, so one run lists every broken check.
// Prints one `ok` line per passed scenario, `FAIL` plus the failed checks otherwise, then a
// closing `N passed, N failed` line. Exits 0 only if every scenario passed.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { create } from 'kubo-rpc-client';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { varint } from 'multiformats';
import { importer } from 'ipfs-unixfs-importer';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';

const SCENARIO_TIMEOUT_MS = 30_000;
const SERVER_READY_MS = 10_000;
const SIGTERM_EXIT_MS = 8_000;
const REQUEST_TIMEOUT_MS = 10_000; // per client call; below the scenario budget so a hang names its call
const CLI_TIMEOUT_MS = 10_000;
const CHUNK = 262_144;

// Kubo's CIDs for fixed inputs (`ipfs add` / `ipfs add --cid-version 1`).
const KNOWN = {
  empty: {
    0: 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH',
    1: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
  },
  hello: {
    0: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o',
    1: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4',
  },
};

// ---------------------------------------------------------------- arguments

const binArg = process.argv[2];
if (!binArg) {
  console.error('usage: node kubo_client_test.mjs /path/to/anarq');
  process.exit(2);
}
const ANARQ = path.resolve(binArg);
try {
  fs.accessSync(ANARQ, fs.constants.X_OK);
} catch {
  console.error(`kubo_client_test: ${ANARQ} is not an executable file`);
  process.exit(2);
}

// ---------------------------------------------------------------- process bookkeeping

// Every child pid this run started; the exit handler SIGKILLs whatever is still alive.
const livePids = new Set();
// Every temp dir not yet removed; the exit handler removes them too.
const liveDirs = new Set();

function killPid(pid, signal = 'SIGKILL') {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

process.on('exit', () => {
  for (const pid of livePids) killPid(pid);
  for (const dir of liveDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`kubo_client_test: got ${sig}, killing children`);
    process.exit(130);
  });
}

// The environment for children: ours minus ANARQ_* so the caller's settings cannot leak in.
function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANARQ_') && v !== undefined) env[k] = v;
  return env;
}

// ---------------------------------------------------------------- scenario context

class Ctx {
  constructor(name) {
    this.name = name;
    this.failures = [];
    this.cleanups = []; // run in reverse order, each at most once
    this.logs = []; // stderr tails of children, shown on failure
    this.done = false;
  }

  // Runs one check; a failure is recorded and the scenario carries on with the next check.
  async check(label, fn) {
    if (this.done) throw new Abort();
    try {
      await fn();
    } catch (err) {
      this.fail(`${label}: ${describe(err)}`);
    }
  }

  // A check whose failure makes the rest of the scenario pointless (e.g. server start).
  async must(label, fn) {
    if (this.done) throw new Abort();
    try {
      return await fn();
    } catch (err) {
      this.fail(`${label}: ${describe(err)}`);
      throw new Abort();
    }
  }

  fail(msg) {
    if (!this.done) this.failures.push(msg);
  }

  tmpDir() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anarq-kubo-client-'));
    liveDirs.add(dir);
    this.onCleanup(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    });
    return dir;
  }

  onCleanup(fn) {
    this.cleanups.push(fn);
  }

  async cleanup() {
    while (this.cleanups.length) {
      const fn = this.cleanups.pop();
      try {
        await withTimeout(Promise.resolve().then(fn), 10_000, 'cleanup step');
      } catch (err) {
        console.error(`  [${this.name}] cleanup: ${describe(err)}`);
      }
    }
  }
}

class Abort extends Error {}

function describe(err) {
  if (err instanceof assert.AssertionError)
    return err.message
      .split('\n')
      .filter((l) => l.trim())
      .slice(0, 12)
      .join('\n      ');
  if (err?.name === 'HTTPError' && err.response)
    return `HTTPError ${err.response.status} ${err.response.url}: ${err.message}`;
  return err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function tail(buf, n = 15) {
  const lines = buf.split('\n').filter(Boolean);
  return lines.length ? lines.slice(-n).join('\n      ') : '(empty)';
}

// ---------------------------------------------------------------- server processes

// Spawns `anarq --data-dir DIR serve --listen 127.0.0.1:0`, waits for
// `listening on http://127.0.0.1:PORT`, and returns the node with a kubo-rpc-client for it.
// The cleanup sends SIGTERM and expects exit code 0 (SIGKILL if it does not come).
async function startNode(ctx, label = 'node') {
  const dataDir = ctx.tmpDir();
  const child = spawn(ANARQ, ['--data-dir', dataDir, 'serve', '--listen', '127.0.0.1:0'], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  livePids.add(child.pid);
  const state = { child, stdout: '', stderr: '', exited: null };
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      livePids.delete(child.pid);
      state.exited = { code, signal };
      resolve(state.exited);
    });
  });
  state.waitExit = (ms) => withTimeout(exited, ms, `anarq serve (${label}, pid ${child.pid}) exiting`);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    state.stderr += d;
  });
  ctx.onCleanup(async () => {
    if (state.exited) return;
    killPid(child.pid, 'SIGTERM');
    try {
      const e = await state.waitExit(SIGTERM_EXIT_MS);
      if (e.code !== 0) ctx.failures.push(`${label}: SIGTERM exit was ${JSON.stringify(e)}, expected code 0`);
    } catch (err) {
      ctx.failures.push(`${label}: ${describe(err)}; SIGKILLed`);
      killPid(child.pid, 'SIGKILL');
      await state.waitExit(3_000).catch(() => {});
    }
  });
  ctx.logs.push(() => `anarq serve (${label}) stderr (tail):\n      ${tail(state.stderr)}`);

  const base = await withTimeout(
    new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout });
      rl.on('line', (line) => {
        state.stdout += line + '\n';
        const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line.trim());
        if (m) resolve(m[1]);
      });
      child.on('error', reject);
      exited.then((e) => reject(new Error(`anarq serve exited early (${JSON.stringify(e)}); stdout=${JSON.stringify(state.stdout)}`)));
    }),
    SERVER_READY_MS,
    `anarq serve (${label}) startup (waiting for the "listening on" line)`,
  );
  state.base = base;
  // The client exactly as an application would create it.
  state.ipfs = create({ url: `${base}/api/v0` });
  return state;
}

// `anarq --data-dir TMP add --only-hash -q FILE [--cid-version 1]` → the CID it prints.
async function cliOnlyHash(ctx, bytes, cidVersion) {
  const dir = ctx.tmpDir();
  const file = path.join(dir, 'input.bin');
  fs.writeFileSync(file, bytes);
  const args = ['--data-dir', path.join(dir, 'data'), 'add', '--only-hash', '-q', file];
  if (cidVersion === 1) args.push('--cid-version', '1');
  const out = await new Promise((resolve, reject) => {
    const child = execFile(ANARQ, args, { env: childEnv(), timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      livePids.delete(child.pid);
      if (err) reject(new Error(`anarq ${args.join(' ')} failed: ${err.message}; stderr=${stderr.trim()}`));
      else resolve(stdout);
    });
    livePids.add(child.pid);
  });
  const cid = out.trim();
  assert.match(cid, /^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]+)$/, `CLI -q prints only a CID (got ${JSON.stringify(out)})`);
  return cid;
}

// Independent reference: ipfs-unixfs-importer configured like Kubo's defaults.
async function referenceImport(bytes, cidVersion) {
  const blockstore = { put: async (cid) => cid };
  const opts =
    cidVersion === 0
      ? { cidVersion: 0, rawLeaves: false, leafType: 'file' }
      : { cidVersion: 1, rawLeaves: true };
  let last;
  for await (const entry of importer([{ content: bytes }], blockstore, {
    ...opts,
    chunker: fixedSize({ chunkSize: CHUNK }),
    layout: balanced({ maxChildrenPerNode: 174 }),
    reduceSingleLeafToSelf: true,
    wrapWithDirectory: false,
  }))
    last = entry;
  return { cid: last.cid.toString(), size: Number(last.size) };
}

// ---------------------------------------------------------------- helpers

const timeout = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS);

async function concat(iterable) {
  const parts = [];
  let n = 0;
  for await (const p of iterable) {
    parts.push(p);
    n += p.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

function bytesEqual(actual, expected, what) {
  const a = Buffer.from(actual);
  const e = Buffer.from(expected);
  if (a.equals(e)) return;
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  assert.fail(`${what}: got ${a.length} bytes, expected ${e.length}; first difference at byte ${i}`);
}

const enc = new TextEncoder();

// The inputs of the add/cat scenarios. Random ones are fresh on every run.
function inputs() {
  return [
    { name: 'empty', bytes: new Uint8Array(0) },
    { name: 'hello', bytes: enc.encode('hello world\n') },
    { name: '1MiB-random', bytes: new Uint8Array(crypto.randomBytes(1 << 20)) },
    { name: '300KiB-random', bytes: new Uint8Array(crypto.randomBytes(300 * 1024)) },
  ];
}

async function addBytes(ipfs, bytes, cidVersion, extra = {}) {
  return ipfs.add(bytes, { cidVersion, signal: timeout(), ...extra });
}

// Raw HTTP request to the node; returns { status, headers, body (Buffer), text, json }.
async function http(base, method, pathAndQuery, { headers = {}, body } = {}) {
  const res = await fetch(base + pathAndQuery, { method, headers, body, signal: timeout() });
  const buf = Buffer.from(await res.arrayBuffer());
  let json;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8').slice(0, 400), json };
}

function multipartBody(boundary, parts) {
  const chunks = [];
  for (const { name = 'file', filename = '', data } of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
          `Content-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.from(data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

// The standard error envelope; under /api/v0 also Kubo's {Message, Code, Type}.
function assertErrorEnvelope(r, status, { kubo }) {
  assert.equal(r.status, status, `HTTP status (body: ${r.text})`);
  assert.ok(r.json && typeof r.json === 'object', `JSON error body (got ${JSON.stringify(r.text)})`);
  assert.equal(r.json.status, 'error', 'envelope status');
  assert.equal(typeof r.json.code, 'string', 'envelope code');
  assert.ok(typeof r.json.message === 'string' && r.json.message.length > 0, 'envelope message');
  if (kubo) {
    assert.ok(typeof r.json.Message === 'string' && r.json.Message.length > 0, 'Kubo Message');
    assert.equal(typeof r.json.Code, 'number', 'Kubo Code');
    assert.equal(r.json.Type, 'error', 'Kubo Type');
  }
}

async function assertHttpError(promise, status, what) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: expected the client to throw`);
  assert.equal(err.name, 'HTTPError', `${what}: error type (${describe(err)})`);
  assert.equal(err.response?.status, status, `${what}: HTTP status (${describe(err)})`);
  assert.ok(err.message && err.message !== err.response.statusText, `${what}: the client shows the server's Message (got ${JSON.stringify(err.message)})`);
}

// Parses a CARv1 far enough to check it: header length, then the first section's CID.
function carFirstCid(car, rootCid) {
  const [hlen, hlenBytes] = varint.decode(car);
  assert.ok(hlen > 0 && hlenBytes + hlen < car.length, `CAR header length ${hlen} of ${car.length} bytes`);
  const header = Buffer.from(car.subarray(hlenBytes, hlenBytes + hlen));
  assert.ok(header.includes('roots') && header.includes('version'), 'CAR header has roots and version');
  assert.ok(header.includes(Buffer.from(rootCid.bytes)), 'CAR header names the root');
  let off = hlenBytes + hlen;
  const [, slenBytes] = varint.decode(car, off);
  off += slenBytes;
  return Buffer.from(car.subarray(off, off + rootCid.bytes.length));
}

// ---------------------------------------------------------------- scenarios

async function scenarioAdd(ctx) {
  const node = await ctx.must('start anarq serve', () => startNode(ctx));
  const { ipfs } = node;
  for (const { name, bytes } of inputs()) {
    for (const v of [0, 1]) {
      await ctx.check(`add ${name} cidVersion=${v}`, async () => {
        const res = await addBytes(ipfs, bytes, v);
        const cid = res.cid.toString();
        const ref = await referenceImport(bytes, v);
        if (KNOWN[name]) assert.equal(cid, KNOWN[name][v], 'CID equals Kubo\'s known value');
        else assert.equal(cid, await cliOnlyHash(ctx, bytes, v), 'CID equals `anarq add --only-hash -q`');
        assert.equal(cid, ref.cid, 'CID equals the ipfs-unixfs-importer reference (Kubo layout)');
        assert.equal(res.size, ref.size, 'Size (cumulative DAG size) equals the reference');
        assert.equal(res.path, cid, 'Name of an unnamed file is its CID (as Kubo)');
        assert.equal(res.cid.version, v, 'CID version');
      });
    }
  }
  await ctx.check('add with explicit rawLeaves=true, cidVersion=1, chunker=size-1024', async () => {
    const bytes = new Uint8Array(crypto.randomBytes(10_000));
    const res = await addBytes(ipfs, bytes, 1, { rawLeaves: true, chunker: 'size-1024' });
    let last;
    for await (const e of importer([{ content: bytes }], { put: async (c) => c }, {
      cidVersion: 1,
      rawLeaves: true,
      chunker: fixedSize({ chunkSize: 1024 }),
      layout: balanced({ maxChildrenPerNode: 174 }),
    }))
      last = e;
    assert.equal(res.cid.toString(), last.cid.toString(), 'CID equals the reference with 1 KiB chunks');
  });
  await ctx.check('addAll of two named files answers one line per file', async () => {
    const a = enc.encode('first file\n');
    const b = enc.encode('second file\n');
    const res = await collect(
      ipfs.addAll([{ path: 'a.txt', content: a }, { path: 'b.txt', content: b }], { cidVersion: 1, signal: timeout() }),
    );
    assert.deepEqual(res.map((r) => r.path), ['a.txt', 'b.txt'], 'names');
    assert.equal(res[0].cid.toString(), (await referenceImport(a, 1)).cid);
    assert.equal(res[1].cid.toString(), (await referenceImport(b, 1)).cid);
  });
  await ctx.check('add onlyHash stores nothing and pin=false does not pin', async () => {
    const bytes = new Uint8Array(crypto.randomBytes(5000));
    const res = await addBytes(ipfs, bytes, 0, { onlyHash: true });
    assert.equal(res.cid.toString(), (await referenceImport(bytes, 0)).cid, 'only-hash CID');
    await assertHttpError(ipfs.block.stat(res.cid, { signal: timeout() }), 404, 'block.stat after only-hash');
    const bytes2 = new Uint8Array(crypto.randomBytes(5000));
    const res2 = await addBytes(ipfs, bytes2, 1, { pin: false });
    const pins = (await collect(ipfs.pin.ls({ signal: timeout() }))).map((p) => p.cid.toString());
    assert.ok(!pins.includes(res2.cid.toString()), `pin=false root is not pinned (pins: ${pins.join(', ')})`);
  });
}

async function scenarioCat(ctx) {
  const { ipfs } = await ctx.must('start anarq serve', () => startNode(ctx));
  for (const { name, bytes } of inputs()) {
    for (const v of [0, 1]) {
      const added = await ctx.must(`add ${name} v${v}`, () => addBytes(ipfs, bytes, v));
      await ctx.check(`cat ${name} v${v}`, async () => {
        bytesEqual(await concat(ipfs.cat(added.cid, { signal: timeout() })), bytes, 'whole file');
      });
      if (bytes.length === 0) continue;
      const n = bytes.length;
      const slices = [
        [1, undefined],
        [0, 5],
        [Math.floor(n / 3), Math.min(5000, n)],
        [Math.max(0, n - 3), 100], // length past the end
        [n, 10], // offset at the end
      ];
      if (n > CHUNK) slices.push([CHUNK - 10, 20], [CHUNK, CHUNK + 7]); // across / at chunk boundaries
      for (const [offset, length] of slices) {
        await ctx.check(`cat ${name} v${v} offset=${offset} length=${length}`, async () => {
          const got = await concat(ipfs.cat(added.cid, { offset, length, signal: timeout() }));
          const end = length === undefined ? n : Math.min(n, offset + length);
          bytesEqual(got, bytes.subarray(Math.min(offset, n), end), 'slice');
        });
      }
    }
  }
  await ctx.check('cat by /ipfs/ path', async () => {
    const added = await addBytes(ipfs, enc.encode('hello world\n'), 0);
    const got = await concat(ipfs.cat(`/ipfs/${added.cid}`, { signal: timeout() }));
    assert.equal(Buffer.from(got).toString(), 'hello world\n');
  });
}

async function scenarioPinsBlocks(ctx) {
  const { ipfs } = await ctx.must('start anarq serve', () => startNode(ctx));
  const added = [];
  for (const { name, bytes } of inputs())
    for (const v of [0, 1]) added.push({ name, v, bytes, res: await ctx.must(`add ${name} v${v}`, () => addBytes(ipfs, bytes, v)) });

  await ctx.check('pin.ls (stream=true) lists every added root as recursive', async () => {
    const pins = await collect(ipfs.pin.ls({ signal: timeout() }));
    const byCid = new Map(pins.map((p) => [p.cid.toString(), p.type]));
    for (const a of added)
      assert.equal(byCid.get(a.res.cid.toString()), 'recursive', `${a.name} v${a.v} root ${a.res.cid} (pins: ${JSON.stringify([...byCid])})`);
  });
  await ctx.check('pin.ls with a path and type=recursive', async () => {
    const target = added.find((a) => a.name === '1MiB-random' && a.v === 0).res.cid;
    const pins = await collect(ipfs.pin.ls({ paths: [target], type: 'recursive', signal: timeout() }));
    assert.deepEqual(pins.map((p) => [p.cid.toString(), p.type]), [[target.toString(), 'recursive']]);
  });
  await ctx.check('pin.rm then pin.add', async () => {
    const target = added.find((a) => a.name === '300KiB-random' && a.v === 1).res.cid;
    const removed = await ipfs.pin.rm(target, { signal: timeout() });
    assert.equal(removed.toString(), target.toString(), 'pin.rm returns the CID');
    let pins = (await collect(ipfs.pin.ls({ signal: timeout() }))).map((p) => p.cid.toString());
    assert.ok(!pins.includes(target.toString()), 'unpinned root no longer listed');
    const again = await ipfs.pin.add(target, { signal: timeout() });
    assert.equal(again.toString(), target.toString(), 'pin.add returns the CID');
    pins = (await collect(ipfs.pin.ls({ signal: timeout() }))).map((p) => p.cid.toString());
    assert.ok(pins.includes(target.toString()), 'pinned again');
  });
  await ctx.check('pin.ls of an unpinned CID fails with 404', async () => {
    const cid = CID.createV1(0x55, await sha256.digest(crypto.randomBytes(16)));
    await assertHttpError(collect(ipfs.pin.ls({ paths: [cid], signal: timeout() })), 404, 'pin.ls');
  });

  await ctx.check('block.stat sizes', async () => {
    for (const a of added) {
      const stat = await ipfs.block.stat(a.res.cid, { signal: timeout() });
      const block = await ipfs.block.get(a.res.cid, { signal: timeout() });
      assert.equal(stat.cid.toString(), a.res.cid.toString(), `${a.name} v${a.v} stat.cid`);
      assert.equal(stat.size, block.length, `${a.name} v${a.v} stat.size = block.get length`);
      const digest = await sha256.digest(block);
      assert.ok(Buffer.from(digest.bytes).equals(Buffer.from(a.res.cid.multihash.bytes)), `${a.name} v${a.v} block hashes to its CID`);
      if (a.v === 1 && a.bytes.length <= CHUNK) assert.equal(stat.size, a.bytes.length, `${a.name} v1 raw leaf size`);
    }
    const hello0 = added.find((a) => a.name === 'hello' && a.v === 0).res.cid;
    assert.equal((await ipfs.block.stat(hello0, { signal: timeout() })).size, 20, 'hello world v0 block is 20 bytes');
  });
  await ctx.check('block.put / block.get round trip (raw)', async () => {
    const data = new Uint8Array(crypto.randomBytes(1000));
    const cid = await ipfs.block.put(data, { signal: timeout() });
    const expected = CID.createV1(0x55, await sha256.digest(data));
    assert.equal(cid.toString(), expected.toString(), 'block.put CID');
    bytesEqual(await ipfs.block.get(cid, { signal: timeout() }), data, 'block.get');
    assert.equal((await ipfs.block.stat(cid, { signal: timeout() })).size, 1000, 'block.stat size');
  });
  await ctx.check('block.put with cidCodec=dag-pb', async () => {
    // The dag-pb node of "hello world\n" as Kubo stores it (v0).
    const v0 = added.find((a) => a.name === 'hello' && a.v === 0).res.cid;
    const node = await ipfs.block.get(v0, { signal: timeout() });
    const cid = await ipfs.block.put(node, { cidCodec: 'dag-pb', signal: timeout() });
    assert.equal(cid.toString(), CID.createV1(0x70, v0.multihash).toString(), 'CIDv1 dag-pb of the same block');
  });
  await ctx.check('block.get of a missing block fails with 404', async () => {
    const cid = CID.createV1(0x55, await sha256.digest(crypto.randomBytes(16)));
    await assertHttpError(ipfs.block.get(cid, { signal: timeout() }), 404, 'block.get');
  });

  await ctx.check('version()', async () => {
    const v = await ipfs.version({ signal: timeout() });
    assert.equal(typeof v.version, 'string', `version (got ${JSON.stringify(v)})`);
    assert.ok(v.version.length > 0, 'version is not empty');
  });
  await ctx.check('id()', async () => {
    const id = await ipfs.id({ signal: timeout() });
    assert.ok(id.id && typeof id.id.toString === 'function', 'id is a PeerId');
    assert.match(id.id.toString(), /^(12D3Koo|Qm)/, 'peer id string');
    assert.ok(Array.isArray(id.addresses), 'addresses is an array');
    assert.equal(typeof id.agentVersion, 'string', 'agentVersion');
    assert.equal(typeof id.publicKey, 'string', 'publicKey');
  });
}

async function scenarioDagExportImport(ctx) {
  const a = await ctx.must('start node A', () => startNode(ctx, 'node A'));
  const b = await ctx.must('start node B', () => startNode(ctx, 'node B'));
  for (const { name, bytes } of inputs()) {
    for (const v of [0, 1]) {
      await ctx.check(`dag export ${name} v${v} from A, import into B`, async () => {
        const { cid } = await addBytes(a.ipfs, bytes, v);
        const car = await concat(a.ipfs.dag.export(cid, { signal: timeout() }));
        assert.ok(Buffer.from(carFirstCid(car, cid)).equals(Buffer.from(cid.bytes)), 'first CAR section is the root');
        const res = await collect(b.ipfs.dag.import([car], { signal: timeout() }));
        assert.equal(res.length, 1, `one root line (got ${JSON.stringify(res)})`);
        assert.equal(res[0].root.cid.toString(), cid.toString(), 'imported root');
        assert.ok(!res[0].root.pinErrorMsg, `no pin error (got ${JSON.stringify(res[0].root.pinErrorMsg)})`);
        bytesEqual(await concat(b.ipfs.cat(cid, { signal: timeout() })), bytes, 'cat on B');
        const pins = (await collect(b.ipfs.pin.ls({ signal: timeout() }))).map((p) => p.cid.toString());
        assert.ok(pins.includes(cid.toString()), 'root pinned on B');
        const again = await concat(b.ipfs.dag.export(cid, { signal: timeout() }));
        bytesEqual(again, car, 're-export from B equals A\'s CAR');
      });
    }
  }
  await ctx.check('dag.import with pinRoots=false does not pin', async () => {
    const bytes = new Uint8Array(crypto.randomBytes(2000));
    const { cid } = await addBytes(a.ipfs, bytes, 1);
    const car = await concat(a.ipfs.dag.export(cid, { signal: timeout() }));
    await collect(b.ipfs.dag.import([car], { pinRoots: false, signal: timeout() }));
    const pins = (await collect(b.ipfs.pin.ls({ signal: timeout() }))).map((p) => p.cid.toString());
    assert.ok(!pins.includes(cid.toString()), 'not pinned');
    bytesEqual(await concat(b.ipfs.cat(cid, { signal: timeout() })), bytes, 'blocks stored');
  });
}

async function scenarioGc(ctx) {
  const { ipfs } = await ctx.must('start anarq serve', () => startNode(ctx));
  const kept = new Uint8Array(crypto.randomBytes(600 * 1024));
  const dropped = new Uint8Array(crypto.randomBytes(600 * 1024));
  const keptRes = await ctx.must('add pinned', () => addBytes(ipfs, kept, 0));
  const droppedRes = await ctx.must('add unpinned', () => addBytes(ipfs, dropped, 1, { pin: false }));
  const rawBlock = new Uint8Array(crypto.randomBytes(100));
  const rawCid = await ctx.must('block.put unpinned', () => ipfs.block.put(rawBlock, { signal: timeout() }));
  await ctx.check('repo.gc runs', async () => {
    const out = await collect(ipfs.repo.gc({ signal: timeout() }));
    for (const r of out) assert.equal(r.err, null, `no error line (got ${JSON.stringify(String(r.err))})`);
  });
  await ctx.check('unpinned content is gone', async () => {
    await assertHttpError(ipfs.block.stat(droppedRes.cid, { signal: timeout() }), 404, 'block.stat of the unpinned root');
    await assertHttpError(ipfs.block.stat(rawCid, { signal: timeout() }), 404, 'block.stat of the unpinned raw block');
    await assertHttpError(concat(ipfs.cat(droppedRes.cid, { signal: timeout() })), 404, 'cat of the unpinned file');
  });
  await ctx.check('pinned content survives', async () => {
    bytesEqual(await concat(ipfs.cat(keptRes.cid, { signal: timeout() })), kept, 'cat of the pinned file');
  });
}

async function scenarioRawHttp(ctx) {
  const node = await ctx.must('start anarq serve', () => startNode(ctx));
  const { ipfs, base } = node;
  const hello = enc.encode('hello world\n');
  const big = new Uint8Array(crypto.randomBytes(1 << 20));
  const hello0 = await ctx.must('add hello v0', () => addBytes(ipfs, hello, 0));
  const hello1 = await ctx.must('add hello v1', () => addBytes(ipfs, hello, 1));
  const big0 = await ctx.must('add 1 MiB v0', () => addBytes(ipfs, big, 0));
  const missing = CID.createV1(0x55, await sha256.digest(crypto.randomBytes(32)));

  await ctx.check('GET /ipfs/{cid}?format=raw', async () => {
    for (const { cid } of [hello0, hello1, big0]) {
      const r = await http(base, 'GET', `/ipfs/${cid}?format=raw`);
      assert.equal(r.status, 200, `status for ${cid} (body: ${r.text})`);
      assert.equal(r.headers.get('content-type'), 'application/vnd.ipld.raw', 'content-type');
      bytesEqual(r.body, await ipfs.block.get(cid, { signal: timeout() }), `raw block of ${cid}`);
    }
    const r = await http(base, 'GET', `/ipfs/${hello1.cid}?format=raw`);
    assert.equal(r.body.toString(), 'hello world\n', 'raw leaf is the data itself');
  });
  await ctx.check('GET /ipfs/{cid} with Accept: application/vnd.ipld.raw', async () => {
    const r = await http(base, 'GET', `/ipfs/${hello0.cid}`, { headers: { accept: 'application/vnd.ipld.raw' } });
    assert.equal(r.status, 200, `status (body: ${r.text})`);
    assert.equal(r.headers.get('content-type'), 'application/vnd.ipld.raw', 'content-type');
    bytesEqual(r.body, await ipfs.block.get(hello0.cid, { signal: timeout() }), 'raw block');
  });
  await ctx.check('GET /ipfs/{cid}?format=car (and Accept) is a CAR that imports elsewhere', async () => {
    const r = await http(base, 'GET', `/ipfs/${big0.cid}?format=car`);
    assert.equal(r.status, 200, `status (body: ${r.text})`);
    assert.ok((r.headers.get('content-type') ?? '').startsWith('application/vnd.ipld.car'), `content-type ${r.headers.get('content-type')}`);
    assert.ok(carFirstCid(r.body, big0.cid).equals(Buffer.from(big0.cid.bytes)), 'first CAR section is the root');
    const r2 = await http(base, 'GET', `/ipfs/${big0.cid}`, { headers: { accept: 'application/vnd.ipld.car' } });
    assert.equal(r2.status, 200, `Accept car status (body: ${r2.text})`);
    assert.ok((r2.headers.get('content-type') ?? '').startsWith('application/vnd.ipld.car'), `Accept car content-type ${r2.headers.get('content-type')}`);
    bytesEqual(r2.body, r.body, 'Accept: car body equals ?format=car body');
    const other = await startNode(ctx, 'import target');
    const res = await collect(other.ipfs.dag.import([r.body], { signal: timeout() }));
    assert.equal(res[0]?.root.cid.toString(), big0.cid.toString(), 'imported root');
    bytesEqual(await concat(other.ipfs.cat(big0.cid, { signal: timeout() })), big, 'cat after importing the gateway CAR');
  });
  await ctx.check('GET /ipfs/{cid} plain file', async () => {
    const r = await http(base, 'GET', `/ipfs/${big0.cid}`);
    assert.equal(r.status, 200, `status (body: ${r.text})`);
    bytesEqual(r.body, big, 'file bytes');
  });
  await ctx.check('Range bytes=2-4 → 206', async () => {
    for (const { cid } of [hello0, hello1]) {
      const r = await http(base, 'GET', `/ipfs/${cid}`, { headers: { range: 'bytes=2-4' } });
      assert.equal(r.status, 206, `status for ${cid} (body: ${r.text})`);
      assert.equal(r.body.toString(), 'llo', 'bytes');
      assert.equal(r.headers.get('content-range'), 'bytes 2-4/12', 'content-range');
      assert.equal(r.headers.get('content-length'), '3', 'content-length');
    }
    const r = await http(base, 'GET', `/ipfs/${big0.cid}`, { headers: { range: `bytes=${CHUNK - 5}-${CHUNK + 4}` } });
    assert.equal(r.status, 206, 'status across a chunk boundary');
    bytesEqual(r.body, big.subarray(CHUNK - 5, CHUNK + 5), 'bytes across a chunk boundary');
    assert.equal(r.headers.get('content-range'), `bytes ${CHUNK - 5}-${CHUNK + 4}/${big.length}`, 'content-range');
  });
  await ctx.check('Range past the end → 416', async () => {
    const r = await http(base, 'GET', `/ipfs/${hello0.cid}`, { headers: { range: 'bytes=100-200' } });
    assert.equal(r.status, 416, `status (body: ${r.text})`);
    assert.equal(r.headers.get('content-range'), 'bytes */12', 'content-range');
  });
  await ctx.check('missing CID → 404 (gateway and RPC)', async () => {
    assertErrorEnvelope(await http(base, 'GET', `/ipfs/${missing}`), 404, { kubo: false });
    assertErrorEnvelope(await http(base, 'GET', `/ipfs/${missing}?format=raw`), 404, { kubo: false });
    assertErrorEnvelope(await http(base, 'POST', `/api/v0/cat?arg=${missing}`), 404, { kubo: true });
    assertErrorEnvelope(await http(base, 'POST', `/api/v0/block/stat?arg=${missing}`), 404, { kubo: true });
    await assertHttpError(concat(ipfs.cat(missing, { signal: timeout() })), 404, 'client cat of a missing CID');
  });
  await ctx.check('bad CID → 400 (gateway and RPC)', async () => {
    assertErrorEnvelope(await http(base, 'GET', '/ipfs/not-a-cid'), 400, { kubo: false });
    assertErrorEnvelope(await http(base, 'GET', '/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5'), 400, { kubo: false });
    assertErrorEnvelope(await http(base, 'GET', '/ipfs/bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2deve!4'), 400, { kubo: false });
    assertErrorEnvelope(await http(base, 'POST', '/api/v0/cat?arg=not-a-cid'), 400, { kubo: true });
    assertErrorEnvelope(await http(base, 'POST', '/api/v0/block/get?arg=zzzz'), 400, { kubo: true });
    await assertHttpError(ipfs.block.stat('not-a-cid', { signal: timeout() }), 400, 'client block.stat of a bad CID');
  });
  await ctx.check('truncated multipart add → 400', async () => {
    const boundary = 'anarqtestboundary1234';
    const full = multipartBody(boundary, [{ data: Buffer.from('hello world\n') }]);
    // Cut before the closing boundary, and in the middle of the part headers.
    for (const cut of [full.length - `--${boundary}--\r\n`.length - 2, 40]) {
      const r = await http(base, 'POST', '/api/v0/add', {
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: full.subarray(0, cut),
      });
      assertErrorEnvelope(r, 400, { kubo: true });
    }
    // Sanity: the same body untruncated is accepted.
    const ok = await http(base, 'POST', '/api/v0/add', {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: full,
    });
    assert.equal(ok.status, 200, `untruncated body status (body: ${ok.text})`);
    assert.equal(JSON.parse(ok.body.toString().trim().split('\n')[0]).Hash, KNOWN.hello[0], 'untruncated add CID');
  });
  await ctx.check('CAR import with a corrupted block → 400', async () => {
    const target = await startNode(ctx, 'corrupt import target');
    for (const { cid, where } of [
      { cid: hello0.cid, where: 'last byte' },
      { cid: big0.cid, where: 'middle byte' },
    ]) {
      const car = Buffer.from(await concat(ipfs.dag.export(cid, { signal: timeout() })));
      const pos = where === 'last byte' ? car.length - 1 : Math.floor(car.length / 2);
      car[pos] ^= 0xff;
      const boundary = 'anarqcarboundary5678';
      const r = await http(target.base, 'POST', '/api/v0/dag/import', {
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: multipartBody(boundary, [{ data: car }]),
      });
      assertErrorEnvelope(r, 400, { kubo: true });
      await assertHttpError(collect(target.ipfs.dag.import([car], { signal: timeout() })), 400, `client dag.import (${where} flipped)`);
      const pins = (await collect(target.ipfs.pin.ls({ signal: timeout() }))).map((p) => p.cid.toString());
      assert.ok(!pins.includes(cid.toString()), `a rejected CAR pins nothing (${where})`);
    }
  });
  await ctx.check('GET on /api/v0 → 405, unknown command → 404', async () => {
    const r = await http(base, 'GET', '/api/v0/version');
    assertErrorEnvelope(r, 405, { kubo: true });
    assertErrorEnvelope(await http(base, 'POST', '/api/v0/no/such/command'), 404, { kubo: true });
  });
}

// ---------------------------------------------------------------- runner

const SCENARIOS = [
  ['a. add: Kubo-identical CIDs (v0, v1; fixed and random inputs)', scenarioAdd],
  ['b. cat: whole files and offset/length', scenarioCat],
  ['c. pins, blocks, version, id', scenarioPinsBlocks],
  ['d. dag.export → dag.import into a second node', scenarioDagExportImport],
  ['e. repo.gc', scenarioGc],
  ['f. raw HTTP: gateway raw/car/Range, 404/400, truncated multipart, corrupted CAR', scenarioRawHttp],
];

// Last-resort guard: even if a cleanup hangs, the run ends (the exit handler kills children).
const hardDeadline = setTimeout(() => {
  console.error('kubo_client_test: overall deadline exceeded, killing children');
  process.exit(3);
}, SCENARIOS.length * (SCENARIO_TIMEOUT_MS + 15_000));
hardDeadline.unref();

let passed = 0;
let failed = 0;
for (const [name, fn] of SCENARIOS) {
  const ctx = new Ctx(name);
  const t0 = Date.now();
  const run = fn(ctx).catch((err) => {
    if (!(err instanceof Abort)) ctx.fail(`unexpected: ${describe(err)}`);
  });
  try {
    await withTimeout(run, SCENARIO_TIMEOUT_MS, `scenario "${name}"`);
  } catch (err) {
    ctx.fail(`${describe(err)} (its children are killed)`);
  }
  ctx.done = true;
  await ctx.cleanup(); // records a server that does not exit 0 on SIGTERM
  const ms = Date.now() - t0;
  if (ctx.failures.length === 0) {
    passed++;
    console.log(`ok   ${name} (${ms} ms)`);
  } else {
    failed++;
    console.log(`FAIL ${name} (${ms} ms)`);
    for (const f of ctx.failures) console.log(`    - ${f}`);
    for (const log of ctx.logs) console.log(`    ${log()}`);
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
