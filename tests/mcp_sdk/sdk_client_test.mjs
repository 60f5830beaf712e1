#!/usr/bin/env node
// Integration test of the anarq MCP transports, with the official TypeScript MCP SDK as the
// reference client.
//
//   usage: node sdk_client_test.mjs /path/to/anarq
//
// Scenarios (each with its own fresh data dir, its own server process and a 20 s budget):
//   a. sdk1 Client + StdioClientTransport           (`anarq --data-dir TMP mcp`)
//   b. sdk1 Client + StreamableHTTPClientTransport  (`anarq --data-dir TMP serve --listen 127.0.0.1:0`)
//   c. v2 client (@modelcontextprotocol/client) pinned to revision 2026-07-28, stateless HTTP
//   d. raw fetch checks of the HTTP transport (Origin, Mcp-Name, Mcp-Session-Id)
//   e. sdk1 Client + StreamableHTTPClientTransport with a signing fetch (docs/signing.md): identity
//      tools (qlock.sign) act as the signer; the same call from an unsigned sdk1 client comes back
//      from callTool() as a tool error whose code and message the caller sees
//   f. MCP Inspector CLI (`inspector --cli ... --method tools/call`) against `anarq mcp` over stdio:
//      a tool error prints its code and message
//
// Tool errors are checked through the clients' own callTool(): an error result carries the code and
// message as text and no structuredContent, so the clients' outputSchema check does not swallow it.
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

import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpTransport1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  Client as Client2,
  StreamableHTTPClientTransport as HttpTransport2,
} from '@modelcontextprotocol/client';

const SCENARIO_TIMEOUT_MS = 20_000;
const SIGTERM_EXIT_MS = 5_000;
const SERVER_READY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 8_000; // per SDK request; below the scenario budget so a hang names its call
const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const CLIENT_INFO = { name: 'anarq-sdk-client-test', version: '1.0.0' };

// ---------------------------------------------------------------- arguments

const binArg = process.argv[2];
if (!binArg) {
  console.error('usage: node sdk_client_test.mjs /path/to/anarq');
  process.exit(2);
}
const ANARQ = path.resolve(binArg);
try {
  fs.accessSync(ANARQ, fs.constants.X_OK);
} catch {
  console.error(`sdk_client_test: ${ANARQ} is not an executable file`);
  process.exit(2);
}

// ---------------------------------------------------------------- process bookkeeping

// Every child pid this run started (directly or through an SDK transport). The exit handler
// SIGKILLs whatever is still alive, so no path out of this script leaves a server behind.
const livePids = new Set();
// Every temp data dir not yet removed; the exit handler removes them too.
const liveDirs = new Set();

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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
    console.error(`sdk_client_test: got ${sig}, killing children`);
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
    this.t0 = Date.now();
  }

  // Runs one check; a failure is recorded and the scenario carries on with the next check.
  // Once the scenario timed out (done), later checks are not run and late failures not recorded.
  async check(label, fn) {
    if (this.done) throw new Abort();
    try {
      await fn();
    } catch (err) {
      this.fail(`${label}: ${describe(err)}`);
    }
  }

  // A check whose failure makes the rest of the scenario pointless (e.g. connect).
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
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anarq-mcp-sdk-'));
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
        await withTimeout(Promise.resolve().then(fn), 6_000, 'cleanup step');
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
  if (err instanceof McpError) return `McpError ${err.code}: ${err.message}`;
  if (err && typeof err === 'object' && 'code' in err && err.message)
    return `${err.constructor?.name ?? 'Error'}(code ${JSON.stringify(err.code)}): ${err.message}`;
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

// Spawns `anarq --data-dir DIR serve --listen 127.0.0.1:0` and resolves once it printed
// `listening on http://127.0.0.1:PORT`.
async function startHttpServer(ctx) {
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
  state.waitExit = (ms) => withTimeout(exited, ms, `anarq serve (pid ${child.pid}) exiting`);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    state.stderr += d;
  });
  ctx.onCleanup(async () => {
    if (state.exited) return;
    killPid(child.pid, 'SIGKILL');
    await state.waitExit(3_000).catch(() => {});
  });
  ctx.logs.push(() => `anarq serve stderr (tail):\n      ${tail(state.stderr)}`);

  const url = await withTimeout(
    new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout });
      rl.on('line', (line) => {
        state.stdout += line + '\n';
        const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line.trim());
        if (m) resolve(new URL('/mcp', m[1]));
      });
      child.on('error', reject);
      exited.then((e) => reject(new Error(`anarq serve exited early (${JSON.stringify(e)}); stdout=${JSON.stringify(state.stdout)}`)));
    }),
    SERVER_READY_MS,
    'anarq serve startup (waiting for the "listening on" line)',
  );
  state.url = url;
  return state;
}

// ---------------------------------------------------------------- shared assertions

function assertToolList(tools) {
  assert.ok(Array.isArray(tools), 'tools/list result.tools is an array');
  const byName = new Map(tools.map((t) => [t.name, t]));
  for (const name of ['node.info', 'node.tools']) {
    const t = byName.get(name);
    assert.ok(t, `tools/list contains ${name} (got ${JSON.stringify([...byName.keys()])})`);
    assert.equal(t.inputSchema?.type, 'object', `${name}.inputSchema.type`);
    assert.equal(t.outputSchema?.type, 'object', `${name}.outputSchema.type`);
  }
}

function assertNodeInfoResult(res) {
  assert.equal(res.isError, false, `node.info isError (result: ${JSON.stringify(res).slice(0, 400)})`);
  const sc = res.structuredContent;
  assert.ok(sc && typeof sc === 'object' && !Array.isArray(sc), 'node.info structuredContent is an object');
  assert.equal(typeof sc.version, 'string', 'structuredContent.version is a string');
  assert.ok(Array.isArray(sc.modules), 'structuredContent.modules is an array');
  assert.ok(
    sc.modules.some((m) => m === 'node' || m?.name === 'node'),
    `structuredContent.modules contains node (got ${JSON.stringify(sc.modules)})`,
  );
  for (const key of ['nodeId', 'build', 'startedAt', 'uptimeMs', 'storage'])
    assert.ok(key in sc, `structuredContent has ${key}`);
  assert.ok(Array.isArray(res.content) && res.content.length > 0, 'content is a non-empty array');
  assert.equal(res.content[0].type, 'text', 'content[0].type');
  assert.deepEqual(JSON.parse(res.content[0].text), sc, 'content[0].text parses to structuredContent');
}

// A tool error as callTool() returns it: isError, "CODE: message" as the first text block, the
// standard error envelope as JSON in the second (and in _meta["anarq/error"]), no structuredContent.
// Returns the envelope.
function assertToolError(res, code, messagePart) {
  const shown = JSON.stringify(res).slice(0, 600);
  assert.equal(res.isError, true, `isError (result: ${shown})`);
  assert.equal(res.structuredContent, undefined, `no structuredContent on a tool error (result: ${shown})`);
  assert.ok(Array.isArray(res.content) && res.content.length >= 2, `two content blocks (result: ${shown})`);
  assert.equal(res.content[0].type, 'text', 'content[0].type');
  const text = res.content[0].text;
  assert.ok(text.startsWith(`${code}: `), `content[0].text starts with "${code}: " (got ${JSON.stringify(text)})`);
  assert.ok(text.includes(messagePart), `the message says ${JSON.stringify(messagePart)} (got ${JSON.stringify(text)})`);
  const envelope = JSON.parse(res.content[1].text);
  assert.equal(envelope.status, 'error', 'envelope.status');
  assert.equal(envelope.code, code, 'envelope.code');
  assert.equal(text, `${code}: ${envelope.message}`, 'content[0].text is CODE: message');
  for (const key of ['message', 'timestamp', 'requestId', 'retryable']) assert.ok(key in envelope, `envelope has ${key}`);
  assert.equal(res._meta?.['anarq/code'], code, '_meta anarq/code');
  assert.deepEqual(res._meta?.['anarq/error'], envelope, '_meta anarq/error is the envelope');
  return envelope;
}

function assertValidationError(res) {
  const envelope = assertToolError(res, 'VALIDATION_ERROR', "unknown property 'bogus'");
  assert.ok(Array.isArray(envelope.details?.violations) && envelope.details.violations.length > 0, 'details.violations is non-empty');
  assert.equal(
    envelope.details.violations[0].pointer,
    '/bogus',
    `details.violations[0].pointer should be the JSON Pointer of the offending property (violations: ${JSON.stringify(envelope.details.violations)})`,
  );
}

async function assertUnknownToolRejects(promise) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof McpError, `expected McpError, got ${describe(err)}`);
    assert.equal(err.code, -32602, `McpError code (message: ${err.message})`);
    return true;
  });
}

// The sdk1 checks shared by the stdio and HTTP scenarios.
async function sdk1CommonChecks(ctx, client) {
  const opts = { timeout: REQUEST_TIMEOUT_MS };
  await ctx.check('getServerVersion().name', async () => {
    assert.equal(client.getServerVersion()?.name, 'anarq');
  });
  await ctx.check('listTools', async () => {
    const { tools } = await client.listTools(undefined, opts);
    assertToolList(tools);
  });
  await ctx.check('callTool node.info', async () => {
    assertNodeInfoResult(await client.callTool({ name: 'node.info', arguments: {} }, undefined, opts));
  });
  await ctx.check('callTool node.info {bogus:1} -> VALIDATION_ERROR reaches the caller', async () => {
    // sdk1's callTool() checks any structuredContent against the tool's outputSchema, error or not
    // (modelcontextprotocol/typescript-sdk#1943): an error result carries none.
    assertValidationError(await client.callTool({ name: 'node.info', arguments: { bogus: 1 } }, undefined, opts));
  });
  await ctx.check('callTool nope.tool', async () => {
    await assertUnknownToolRejects(client.callTool({ name: 'nope.tool', arguments: {} }, undefined, opts));
  });
  await ctx.check('ping', async () => {
    assert.deepEqual(await client.ping(opts), {});
  });
}

// An AI agent on stdio (acting as the node operator) following the event bus
// through the events/registry tools: register a topic, publish, poll a durable
// consumer, acknowledge, and see nothing redelivered.
async function eventsAgentChecks(ctx, client) {
  const opts = { timeout: REQUEST_TIMEOUT_MS };
  const call = async (name, args) => {
    const res = await client.callTool({ name, arguments: args }, undefined, opts);
    assert.equal(res.isError, false, `${name} isError (result: ${JSON.stringify(res).slice(0, 400)})`);
    return res.structuredContent;
  };
  await ctx.check('events: register, publish, subscribe, ack over MCP', async () => {
    const reg = await call('registry.register', {
      topic: 'q.agent.note.v1',
      schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
    });
    assert.equal(reg.version, 1, 'first schema version');
    const pub = await call('events.publish', { topic: 'q.agent.note.v1', payload: { text: 'hello' } });
    assert.ok(Number.isInteger(pub.seq) && pub.seq > 0, `publish seq (${JSON.stringify(pub)})`);
    assert.match(pub.payloadCid, /^bafyrei/, 'payloadCid is a DAG-CBOR CIDv1');
    const got = await call('events.subscribe', { consumer: 'mcp-agent', subject: 'q.agent.>', max: 10 });
    assert.equal(got.messages.length, 1, `one message (${JSON.stringify(got).slice(0, 400)})`);
    const msg = got.messages[0];
    assert.equal(msg.seq, pub.seq, 'the published sequence');
    assert.equal(msg.event.payload.text, 'hello', 'payload');
    assert.equal(msg.event.sig.alg, 'Ed25519', 'signed envelope');
    const ack = await call('events.ack', { consumer: 'mcp-agent', seqs: [msg.seq] });
    assert.equal(ack.acked, 1, 'acked');
    const again = await call('events.subscribe', { consumer: 'mcp-agent' });
    assert.equal(again.messages.length, 0, 'nothing redelivered after the ack');
  });
  await ctx.check('events: publish with a payload that breaks the schema is an isError result', async () => {
    const res = await client.callTool(
      { name: 'events.publish', arguments: { topic: 'q.agent.note.v1', payload: { text: 1 } } },
      undefined,
      opts,
    );
    const envelope = assertToolError(res, 'VALIDATION_ERROR', 'q.agent.note.v1');
    assert.equal(envelope.details?.violations?.[0]?.pointer, '/text', 'pointer');
  });
}

// ---------------------------------------------------------------- signed requests (docs/signing.md)

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'; // Bitcoin alphabet

function base58btcEncode(bytes) {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

function base58btcDecode(text) {
  let n = 0n;
  for (const c of text) {
    const v = B58.indexOf(c);
    if (v < 0) throw new Error(`not base58btc: ${JSON.stringify(c)} in ${JSON.stringify(text)}`);
    n = n * 58n + BigInt(v);
  }
  const bytes = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const c of text) {
    if (c !== '1') break;
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}

// did:key of an Ed25519 public key: multicodec 0xed 0x01, then the 32 raw bytes, base58btc.
function didKeyOf(publicKey) {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  assert.equal(raw.length, 32, 'raw Ed25519 public key length');
  return 'did:key:z' + base58btcEncode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
}

function publicKeyOfDidKey(did) {
  assert.ok(did.startsWith('did:key:z'), `did:key with base58btc multibase (got ${did})`);
  const bytes = base58btcDecode(did.slice('did:key:z'.length));
  assert.ok(bytes.length === 34 && bytes[0] === 0xed && bytes[1] === 0x01, `Ed25519 multicodec 0xed01 + 32 bytes (${did})`);
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.subarray(2).toString('base64url') }, format: 'jwk' });
}

// The x-* headers of a request signed by `privateKey` as `did` (no x-subid).
function signedHeaders({ privateKey, did }, method, target, body, ts = Date.now(), nonce = crypto.randomBytes(16).toString('base64url')) {
  const canonical = [
    'anarq-request-v1',
    method.toUpperCase(),
    target,
    String(ts),
    nonce,
    did,
    '', // x-subid
    crypto.createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const sig = crypto.sign(null, Buffer.from(canonical), privateKey).toString('base64url');
  return { 'x-squid-id': did, 'x-ts': String(ts), 'x-nonce': nonce, 'x-sig': sig };
}

// A fetch for an SDK transport that signs every POST with a string body as `signer`.
function makeSigningFetch(signer) {
  return async (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'POST' || typeof init.body !== 'string') return fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(signedHeaders(signer, method, url.pathname + url.search, init.body)))
      headers.set(k, v);
    return fetch(input, { ...init, headers });
  };
}

// The worked example of docs/signing.md, reproduced by the helpers above.
function assertSigningDocExample() {
  const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const did = didKeyOf(crypto.createPublicKey(privateKey));
  assert.equal(did, 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw', 'did:key of the RFC 8032 test 1 key');
  const h = signedHeaders(
    { privateKey, did },
    'post',
    '/events/v1/publish',
    '{"topic":"q.shop.order.placed.v1","payload":{"id":"o-1"}}',
    1764079200000,
    'n0nce-0123456789ab',
  );
  assert.equal(h['x-sig'], '-GPes99ojDrb1K_MjjJ4g4mjGagxruM-KrMozLVQDY9q14NdUe_UR1a12JcnpnIj8PJ5GyE-o3CXGdDCV8CtCA', 'x-sig');
  assert.equal(base58btcEncode(base58btcDecode(did.slice(9))), did.slice(9), 'base58btc round trip');
}

// ---------------------------------------------------------------- scenarios

async function scenarioStdio(ctx) {
  const dataDir = ctx.tmpDir();
  const transport = new StdioClientTransport({
    command: ANARQ,
    args: ['--data-dir', dataDir, 'mcp'],
    // The SDK forwards only HOME, LOGNAME, PATH, SHELL, TERM and USER, plus what we add here.
    env: { ...getDefaultEnvironment(), ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.setEncoding('utf8');
  transport.stderr?.on('data', (d) => {
    stderr += d;
  });
  ctx.logs.push(() => `anarq mcp stderr (tail):\n      ${tail(stderr)}`);
  const client = new Client1(CLIENT_INFO);
  let pid;
  ctx.onCleanup(async () => {
    await withTimeout(client.close(), 5_000, 'client.close()').catch(() => {});
    if (pid !== undefined && alive(pid)) killPid(pid);
    livePids.delete(pid);
  });

  await ctx.must('connect (initialize over stdio)', async () => {
    await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  });
  pid = transport.pid ?? undefined;
  if (pid !== undefined) livePids.add(pid);

  await sdk1CommonChecks(ctx, client);
  await eventsAgentChecks(ctx, client);

  await ctx.check('close (server exits on stdin EOF)', async () => {
    await client.close();
    // StdioClientTransport.close() ends stdin and only escalates to signals after 2 s; the server
    // is expected to exit on EOF well before that.
    if (pid !== undefined) {
      const t0 = Date.now();
      while (alive(pid) && Date.now() - t0 < 3_000) await new Promise((r) => setTimeout(r, 50));
      assert.ok(!alive(pid), `anarq mcp (pid ${pid}) still running 3 s after close`);
    }
  });
}

async function scenarioHttpSdk1(ctx) {
  const server = await ctx.must('start anarq serve', () => startHttpServer(ctx));
  const transport = new HttpTransport1(server.url);
  const client = new Client1(CLIENT_INFO);
  client.onerror = () => {}; // a GET stream refusal other than 405 only reaches onerror
  ctx.onCleanup(() => withTimeout(client.close(), 5_000, 'client.close()').catch(() => {}));

  await ctx.must('connect (initialize over Streamable HTTP)', async () => {
    await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  });
  await ctx.check('session id issued', async () => {
    assert.match(transport.sessionId ?? '', /^[\x21-\x7e]+$/, 'Mcp-Session-Id (visible ASCII)');
  });
  await ctx.check('negotiated protocol version', async () => {
    assert.equal(transport.protocolVersion, LEGACY);
  });

  await sdk1CommonChecks(ctx, client);

  await ctx.check("callTool node.tools {module:'node'}", async () => {
    const res = await client.callTool({ name: 'node.tools', arguments: { module: 'node' } }, undefined, {
      timeout: REQUEST_TIMEOUT_MS,
    });
    assert.equal(res.isError, false, `isError (result: ${JSON.stringify(res).slice(0, 400)})`);
    const sc = res.structuredContent;
    assert.ok(Number.isInteger(sc?.count) && sc.count >= 2, `count >= 2 (got ${sc?.count})`);
    assert.ok(Array.isArray(sc.tools) && sc.tools.length === sc.count, 'tools.length === count');
    const names = sc.tools.map((t) => t.name);
    assert.ok(names.includes('node.info') && names.includes('node.tools'), `tools lists node.* (got ${names})`);
    assert.ok(sc.tools.every((t) => t.module === 'node'), 'all tools belong to module node');
  });

  const sessionId = transport.sessionId;
  await ctx.check('terminateSession (DELETE /mcp)', async () => {
    await transport.terminateSession();
    assert.equal(transport.sessionId, undefined, 'transport forgot the session id');
  });
  await ctx.check('terminated session answers 404', async () => {
    const r = await postMcp(server.url, { jsonrpc: '2.0', id: 99, method: 'ping' }, {
      'mcp-protocol-version': LEGACY,
      'mcp-session-id': sessionId,
    });
    assert.equal(r.status, 404, `status (body: ${r.text})`);
  });
  await client.close().catch(() => {});

  await ctx.check(`SIGTERM exits 0 within ${SIGTERM_EXIT_MS / 1000} s`, async () => {
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    let exit;
    try {
      exit = await server.waitExit(SIGTERM_EXIT_MS);
    } catch {
      // Too slow. Wait a little longer (within the scenario budget) to report when it did exit.
      const spare = Math.max(0, SCENARIO_TIMEOUT_MS - (Date.now() - ctx.t0) - 1_500);
      const late = await server.waitExit(spare).catch(() => undefined);
      assert.fail(
        `anarq serve did not exit within ${SIGTERM_EXIT_MS} ms of SIGTERM; ` +
          (late ? `it exited after ${Date.now() - t0} ms with ${JSON.stringify(late)}` : `still running after ${Date.now() - t0} ms`),
      );
    }
    assert.equal(exit.signal, null, `terminated by signal ${exit.signal}`);
    assert.equal(exit.code, 0, 'exit code');
  });
}

async function scenarioHttpModern(ctx) {
  const server = await ctx.must('start anarq serve', () => startHttpServer(ctx));
  // Record the wire to prove the exchange is stateless.
  const wire = [];
  const recordingFetch = async (input, init = {}) => {
    const res = await fetch(input, init);
    wire.push({ method: init.method ?? 'GET', reqHeaders: new Headers(init.headers), status: res.status, resHeaders: res.headers });
    return res;
  };
  const transport = new HttpTransport2(server.url, { fetch: recordingFetch });
  const client = new Client2(CLIENT_INFO, { versionNegotiation: { mode: { pin: MODERN } } });
  client.onerror = () => {};
  ctx.onCleanup(() => withTimeout(client.close(), 5_000, 'client.close()').catch(() => {}));

  await ctx.must(`connect (pinned ${MODERN}, server/discover)`, async () => {
    await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  });
  await ctx.check('negotiated modern era', async () => {
    assert.equal(client.getNegotiatedProtocolVersion(), MODERN, 'negotiated version');
    assert.ok(client.getDiscoverResult()?.supportedVersions?.includes(MODERN), 'discover lists 2026-07-28');
    assert.equal(client.getServerVersion()?.name, 'anarq', 'serverInfo from discover _meta');
  });
  await ctx.check('listTools', async () => {
    const { tools } = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
    assertToolList(tools);
  });
  await ctx.check('callTool node.info', async () => {
    assertNodeInfoResult(await client.callTool({ name: 'node.info', arguments: {} }, { timeout: REQUEST_TIMEOUT_MS }));
  });
  await ctx.check('callTool node.info {bogus:1} -> VALIDATION_ERROR reaches the caller', async () => {
    assertValidationError(await client.callTool({ name: 'node.info', arguments: { bogus: 1 } }, { timeout: REQUEST_TIMEOUT_MS }));
  });
  await ctx.check('stateless wire (POST only, no Mcp-Session-Id either way, Mcp-Method on every POST)', async () => {
    assert.ok(wire.length >= 3, `at least discover + tools/list + tools/call went over the wire (got ${wire.length})`);
    for (const w of wire) {
      assert.equal(w.method, 'POST', 'HTTP method');
      assert.equal(w.resHeaders.get('mcp-session-id'), null, 'server minted a session id');
      assert.equal(w.reqHeaders.get('mcp-session-id'), null, 'client sent a session id');
      assert.equal(w.reqHeaders.get('mcp-protocol-version'), MODERN, 'MCP-Protocol-Version header');
      assert.ok(w.reqHeaders.get('mcp-method'), 'Mcp-Method header');
      assert.ok(w.status >= 200 && w.status < 300, `HTTP status ${w.status} for ${w.reqHeaders.get('mcp-method')}`);
    }
    const methods = wire.map((w) => w.reqHeaders.get('mcp-method'));
    for (const m of ['server/discover', 'tools/list', 'tools/call'])
      assert.ok(methods.includes(m), `${m} went over the wire (got ${methods})`);
    assert.equal(transport.sessionId, undefined, 'transport holds no session id');
  });
}

async function postMcp(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function modernMeta() {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  };
}

async function scenarioRawHttp(ctx) {
  const server = await ctx.must('start anarq serve', () => startHttpServer(ctx));
  const url = server.url;

  await ctx.check('Origin: http://evil.example -> 403', async () => {
    const r = await postMcp(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: 'http://evil.example' });
    assert.equal(r.status, 403, `status (body: ${r.text})`);
  });

  await ctx.check('2026 tools/call with Mcp-Name != params.name -> 400 / -32020', async () => {
    const r = await postMcp(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'node.info', arguments: {}, _meta: modernMeta() } },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'node.tools' },
    );
    assert.equal(r.status, 400, `status (body: ${r.text})`);
    assert.equal(r.json?.error?.code, -32020, `JSON-RPC error code (body: ${r.text})`);
    assert.equal(r.headers.get('mcp-session-id'), null, 'no session id on a 2026 response');
  });

  // A real legacy session exists, so the server is known to be doing sessions.
  let sessionId;
  await ctx.check('2025-11-25 initialize issues Mcp-Session-Id', async () => {
    const r = await postMcp(url, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: CLIENT_INFO },
    });
    assert.equal(r.status, 200, `status (body: ${r.text})`);
    assert.equal(r.json?.result?.protocolVersion, LEGACY, 'protocolVersion');
    sessionId = r.headers.get('mcp-session-id');
    assert.ok(sessionId, 'Mcp-Session-Id header');
    const n = await postMcp(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, {
      'mcp-protocol-version': LEGACY,
      'mcp-session-id': sessionId,
    });
    assert.equal(n.status, 202, `notifications/initialized status (body: ${n.text})`);
  });

  await ctx.check('session request without Mcp-Session-Id -> 400', async () => {
    const r = await postMcp(url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-protocol-version': LEGACY });
    assert.equal(r.status, 400, `status (body: ${r.text})`);
  });

  await ctx.check('session request with unknown Mcp-Session-Id -> 404', async () => {
    const r = await postMcp(url, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, {
      'mcp-protocol-version': LEGACY,
      'mcp-session-id': 'deadbeefdeadbeefdeadbeefdeadbeef',
    });
    assert.equal(r.status, 404, `status (body: ${r.text})`);
  });

  if (sessionId) {
    await ctx.check('the real session still works', async () => {
      const r = await postMcp(url, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, {
        'mcp-protocol-version': LEGACY,
        'mcp-session-id': sessionId,
      });
      assert.equal(r.status, 200, `status (body: ${r.text})`);
      assert.ok(Array.isArray(r.json?.result?.tools), 'result.tools');
    });
  }
}

// An sdk1 client whose fetch signs every POST /mcp (docs/signing.md, "MCP over HTTP"): identity
// tools act as the signer; the same tools/call on the same session without the headers is refused.
async function scenarioHttpSigned(ctx) {
  await ctx.check('signing helpers reproduce the docs/signing.md worked example', async () => {
    assertSigningDocExample();
  });
  const server = await ctx.must('start anarq serve', () => startHttpServer(ctx));
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const signer = { privateKey, did: didKeyOf(publicKey) };
  const transport = new HttpTransport1(new URL(server.url), { fetch: makeSigningFetch(signer) });
  const client = new Client1(CLIENT_INFO);
  client.onerror = () => {};
  ctx.onCleanup(() => withTimeout(client.close(), 5_000, 'client.close()').catch(() => {}));
  const opts = { timeout: REQUEST_TIMEOUT_MS };
  const data = 'signed over mcp';

  await ctx.must('connect (signed initialize over Streamable HTTP)', async () => {
    await client.connect(transport, opts);
  });

  // Keys are durable state, for registered identities only: the signer registers itself (BYOK).
  await ctx.must('signed callTool squid.create registers the signer', async () => {
    const res = await client.callTool({ name: 'squid.create', arguments: { name: 'mcp signer' } }, undefined, opts);
    assert.equal(res.isError, false, `isError (result: ${JSON.stringify(res).slice(0, 400)})`);
  });

  let signature;
  await ctx.check('signed callTool qlock.sign acts as the signer', async () => {
    const res = await client.callTool({ name: 'qlock.sign', arguments: { data } }, undefined, opts);
    assert.equal(res.isError, false, `isError (result: ${JSON.stringify(res).slice(0, 400)})`);
    const sc = res.structuredContent;
    assert.equal(sc?.keyId, 'sig:' + signer.did, "keyId is the signer's default signing key");
    signature = sc.signature;
    assert.equal(signature?.alg, 'Ed25519', 'signature.alg');
    assert.ok(
      typeof signature.pub === 'string' && signature.pub.startsWith('did:key:z6Mk'),
      `signature.pub is an Ed25519 did:key (got ${JSON.stringify(signature.pub)})`,
    );
  });

  if (signature) {
    await ctx.check('signed callTool qlock.verify says valid', async () => {
      const res = await client.callTool({ name: 'qlock.verify', arguments: { data, signature } }, undefined, opts);
      assert.equal(res.isError, false, `isError (result: ${JSON.stringify(res).slice(0, 400)})`);
      assert.equal(res.structuredContent?.valid, true, `valid (result: ${JSON.stringify(res.structuredContent)})`);
    });
    await ctx.check('the LockSig verifies with node:crypto from its did:key', async () => {
      const pub = publicKeyOfDidKey(signature.pub);
      const msg = Buffer.from(`anarq-locksig-v1\n${signature.ts}\n${signature.nonce}\n${data}`);
      assert.equal(crypto.verify(null, msg, pub, Buffer.from(signature.sig, 'base64url')), true, 'crypto.verify');
      assert.equal(
        crypto.verify(null, Buffer.from(`anarq-locksig-v1\n${signature.ts}\n${signature.nonce}\n${data}!`), pub, Buffer.from(signature.sig, 'base64url')),
        false,
        'crypto.verify of other data',
      );
    });
  }

  await ctx.check('unsigned tools/call qlock.sign on the same session -> isError SQUID_IDENTITY_INVALID', async () => {
    assert.ok(transport.sessionId, 'the signed client holds a session');
    const r = await postMcp(
      server.url,
      { jsonrpc: '2.0', id: 42, method: 'tools/call', params: { name: 'qlock.sign', arguments: { data } } },
      { 'mcp-protocol-version': transport.protocolVersion ?? LEGACY, 'mcp-session-id': transport.sessionId },
    );
    assert.equal(r.status, 200, `status (body: ${r.text})`);
    assertToolError(r.json?.result ?? {}, 'SQUID_IDENTITY_INVALID', 'signed');
  });

  // What an agent on an unsigned client sees: sdk1 callTool() returns the error, code and message.
  const plain = new Client1(CLIENT_INFO);
  plain.onerror = () => {};
  ctx.onCleanup(() => withTimeout(plain.close(), 5_000, 'client.close()').catch(() => {}));
  await ctx.must('connect an unsigned sdk1 client', async () => {
    await plain.connect(new HttpTransport1(new URL(server.url)), opts);
  });
  await ctx.check('unsigned callTool qlock.sign -> SQUID_IDENTITY_INVALID reaches the caller', async () => {
    await plain.listTools(undefined, opts); // the client now knows qlock.sign's outputSchema and checks against it
    const res = await plain.callTool({ name: 'qlock.sign', arguments: { data } }, undefined, opts);
    assertToolError(res, 'SQUID_IDENTITY_INVALID', 'signed');
  });
}

// The MCP Inspector's CLI (npm @modelcontextprotocol/inspector, pinned) as a user runs it against
// `anarq mcp` over stdio: a failing tools/call prints the error's code and message.
function runInspector(args) {
  const bin = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', '.bin', 'inspector');
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, '--cli', ...args], { env: childEnv(), timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }),
    );
    livePids.add(child.pid);
    child.on('exit', () => livePids.delete(child.pid));
  });
}

async function scenarioInspector(ctx) {
  const dataDir = ctx.tmpDir();
  const server = ['--', ANARQ, '--data-dir', dataDir, 'mcp'];
  await ctx.check('inspector --cli tools/list lists node.info', async () => {
    const r = await runInspector(['--method', 'tools/list', ...server]);
    assert.equal(r.code, 0, `exit code (stderr: ${tail(r.stderr, 5)})`);
    assert.ok(r.stdout.includes('"node.info"'), `stdout names node.info (stdout: ${r.stdout.slice(0, 300)})`);
  });
  await ctx.check('inspector --cli tools/call node.info bogus=1 prints VALIDATION_ERROR and its message', async () => {
    const r = await runInspector(['--method', 'tools/call', '--tool-name', 'node.info', '--tool-arg', 'bogus=1', ...server]);
    const out = r.stdout + r.stderr;
    assert.ok(!/structured content/i.test(out), `no schema-mismatch complaint (output: ${out.slice(0, 600)})`);
    assert.ok(out.includes("VALIDATION_ERROR: input of node.info failed validation"), `code and message shown (output: ${out.slice(0, 600)})`);
    assert.ok(out.includes('"isError": true'), `isError shown (output: ${out.slice(0, 600)})`);
    assert.notEqual(r.code, 0, 'the CLI exits non-zero on a tool error');
  });
  await ctx.check('inspector --cli tools/call squid.get of an unknown did prints NOT_FOUND and its message', async () => {
    const did = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';
    const r = await runInspector(['--method', 'tools/call', '--tool-name', 'squid.get', '--tool-arg', `squidId=${did}`, ...server]);
    const out = r.stdout + r.stderr;
    assert.ok(!/structured content/i.test(out), `no schema-mismatch complaint (output: ${out.slice(0, 600)})`);
    assert.ok(out.includes(`"text": "NOT_FOUND: identity ${did} not found"`), `code and message shown (output: ${out.slice(0, 600)})`);
  });
}

// ---------------------------------------------------------------- runner

const SCENARIOS = [
  ['a. sdk1 stdio', scenarioStdio],
  ['b. sdk1 streamable HTTP', scenarioHttpSdk1],
  [`c. v2 client pinned ${MODERN} over HTTP`, scenarioHttpModern],
  ['d. raw HTTP checks', scenarioRawHttp],
  ['e. sdk1 signed streamable HTTP (qlock.sign as the signer)', scenarioHttpSigned],
  ['f. MCP Inspector CLI over stdio', scenarioInspector],
];

// Last-resort guard: even if a cleanup hangs, the run ends (the exit handler kills children).
const hardDeadline = setTimeout(() => {
  console.error('sdk_client_test: overall deadline exceeded, killing children');
  process.exit(3);
}, SCENARIOS.length * (SCENARIO_TIMEOUT_MS + 10_000));
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
  await ctx.cleanup();
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
