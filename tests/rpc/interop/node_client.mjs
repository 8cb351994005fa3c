// Node interop client for pm_echo_server (connect-node 2.1.2): Connect over HTTP/2 and
// HTTP/1.1, gRPC and gRPC-Web over HTTP/2, all on TLS with a client certificate, with exact echo
// checks; plus the refusal of clients without a (trusted) certificate. Run by run_node.sh from
// the folder setup_node.sh prepared (it needs ./node_modules and ./gen):
//   node node_client.mjs --port PORT --certs DIR --cn CLIENT-CERT-CN
// DIR holds ca.pem, client.{pem,key} and stranger.{pem,key} (lib.sh make_certs); the server
// maps the client certificate to its CN, which the "whoami" call answers. Prints one line
// per case and "N passed, M failed"; exits 1 on any failure.
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";

import { create, equals, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

import { EchoResponseSchema, EchoService } from "./gen/echo_pb.js";

const { values: args } = parseArgs({
  options: { port: { type: "string" }, certs: { type: "string" }, cn: { type: "string" } },
});
if (!args.port || !args.certs || !args.cn) {
  console.error("usage: node node_client.mjs --port PORT --certs DIR --cn CLIENT-CERT-CN");
  process.exit(2);
}
const baseUrl = `https://127.0.0.1:${args.port}`;
const pem = (name) => readFileSync(`${args.certs}/${name}`);
const ca = pem("ca.pem");
const mine = { ca, cert: pem("client.pem"), key: pem("client.key") };
const stranger = { ca, cert: pem("stranger.pem"), key: pem("stranger.key") };
const callTimeoutMs = 30_000;

// ---- What the echo service answers (tests/rpc/echo.proto); the same as in run_buf_curl.sh.
const unaryWant = (message, number, tags) => ({ message, number, tags });
const streamWant = (message, count) =>
  Array.from({ length: count }, (_, index) => ({ message, index }));
const clientWant = (messages) => ({ message: messages.join(""), index: messages.length });
const bidiWant = (message, index) => ({ message, index });

// ---- Transports. connect-node keeps one HTTP/2 session per transport, so every call made
// ---- through one of these shares a connection (multiplexed streams).
const connectH2 = createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions: mine });
const connectH1Json = createConnectTransport({
  baseUrl,
  httpVersion: "1.1",
  useBinaryFormat: false,
  nodeOptions: mine,
});
const grpcH2 = createGrpcTransport({ baseUrl, nodeOptions: mine });
const grpcWebH2 = createGrpcWebTransport({ baseUrl, httpVersion: "2", nodeOptions: mine });
// gzip both ways: requests compressed whatever their size, gzip answers accepted.
const gzip = {
  sendCompression: compressionGzip,
  acceptCompression: [compressionGzip],
  compressMinBytes: 0,
};
const connectH2Gzip = createConnectTransport({
  baseUrl,
  httpVersion: "2",
  nodeOptions: mine,
  ...gzip,
});
const grpcH2Gzip = createGrpcTransport({ baseUrl, nodeOptions: mine, ...gzip });

let passed = 0;
let failed = 0;
const failures = [];
async function check(name, fn) {
  try {
    const note = await fn();
    passed++;
    console.log(`PASS  ${name}${note ? ` (${note})` : ""}`);
  } catch (e) {
    failed++;
    failures.push(name);
    console.log(`FAIL  ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof ConnectError && e.cause) console.log(`      | cause: ${e.cause}`);
  }
}
function same(got, want, what) {
  const wanted = create(EchoResponseSchema, want);
  if (!equals(EchoResponseSchema, got, wanted)) {
    const json = (m) => toJsonString(EchoResponseSchema, m);
    throw new Error(`${what}: got ${json(got)}, wanted ${json(wanted)}`);
  }
}
async function expectCode(promise, code) {
  try {
    await promise;
  } catch (e) {
    const err = ConnectError.from(e);
    if (err.code !== code) {
      throw new Error(`code ${Code[err.code]} (${err.rawMessage}), wanted ${Code[code]}`);
    }
    return `code ${Code[err.code]}`;
  }
  throw new Error(`succeeded, wanted ${Code[code]}`);
}
const opts = () => ({ timeoutMs: callTimeoutMs });

// Full duplex: message i+1 is only sent after the answer to message i has arrived, so a server
// that buffers the request stream (half duplex) fails here instead of passing.
async function pingPong(client, count, payload) {
  let answered;
  async function* requests() {
    for (let i = 0; i < count; i++) {
      const wait = new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no answer to message ${i} within 10 s: not full duplex`)),
          10_000,
        );
        answered = () => {
          clearTimeout(t);
          resolve();
        };
      });
      yield { message: payload(i) };
      await wait;
    }
  }
  let i = 0;
  for await (const res of client.bidi(requests(), opts())) {
    same(res, bidiWant(payload(i), i), `bidi answer ${i}`);
    i++;
    answered();
  }
  if (i !== count) throw new Error(`${i} answers, wanted ${count}`);
  return `${count} round trips`;
}

// All messages at once (the client does not wait), answers checked in order afterwards.
async function burst(client, count, payload) {
  async function* requests() {
    for (let i = 0; i < count; i++) yield { message: payload(i) };
  }
  let i = 0;
  for await (const res of client.bidi(requests(), opts())) {
    same(res, bidiWant(payload(i), i), `bidi answer ${i}`);
    i++;
  }
  if (i !== count) throw new Error(`${i} answers, wanted ${count}`);
  return `${count} messages`;
}

async function serverStream(client, message, count) {
  const got = [];
  for await (const res of client.serverStream({ message, count }, opts())) got.push(res);
  const want = streamWant(message, count);
  if (got.length !== want.length) throw new Error(`${got.length} messages, wanted ${count}`);
  got.forEach((res, i) => same(res, want[i], `message ${i}`));
  return `${count} messages`;
}

async function clientStream(client, messages) {
  async function* requests() {
    for (const message of messages) yield { message };
  }
  same(await client.clientStream(requests(), opts()), clientWant(messages), "answer");
  return `${messages.length} messages`;
}

// Unary echoes message, number (int64; above 2^53 so a lossy double would show) and tags.
async function unary(client, message) {
  const number = 9007199254740993n;
  const tags = ["x", message.slice(0, 8)];
  const res = await client.unary({ message, number, tags }, opts());
  same(res, unaryWant(message, number, tags), "answer");
}

// x-echo-header comes back as a response header, x-echo-trailer as a trailer.
async function metadata(client, { trailer = true } = {}) {
  let header;
  let trailers;
  const res = await client.unary(
    { message: "meta" },
    {
      ...opts(),
      headers: { "x-echo-header": "h-value", "x-echo-trailer": "t-value" },
      onHeader: (h) => (header = h),
      onTrailer: (t) => (trailers = t),
    },
  );
  same(res, { message: "meta" }, "answer");
  if (header?.get("x-echo-header") !== "h-value") {
    throw new Error(`header x-echo-header = ${header?.get("x-echo-header")}`);
  }
  if (trailer && trailers?.get("x-echo-trailer") !== "t-value") {
    throw new Error(`trailer x-echo-trailer = ${trailers?.get("x-echo-trailer")}`);
  }
}

async function whoami(client, want) {
  same(await client.unary({ message: "whoami" }, opts()), { message: want }, "answer");
  return `CN ${want}`;
}

// A refused client: the TLS handshake or the first read fails; no answer may arrive.
async function refused(transportOptions) {
  const client = createClient(EchoService, createConnectTransport(transportOptions));
  try {
    const res = await client.unary({ message: "should not pass" }, { timeoutMs: 10_000 });
    throw new Error(`the server answered: ${JSON.stringify(res)}`);
  } catch (e) {
    const err = ConnectError.from(e);
    if (err.code === Code.DeadlineExceeded) {
      throw new Error("no answer at all (hang) instead of a refusal");
    }
    if (err.rawMessage.startsWith("the server answered")) throw e;
    return `refused: ${Code[err.code]}: ${err.rawMessage.slice(0, 80)}`;
  }
}

const letters = (i) => `m${i}-${"x".repeat(i % 7)}`;
const big = (size) => (i) => `${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26)));

const connect = createClient(EchoService, connectH2);
const connectJson = createClient(EchoService, connectH1Json);
const grpc = createClient(EchoService, grpcH2);
const grpcWeb = createClient(EchoService, grpcWebH2);
const connectGzip = createClient(EchoService, connectH2Gzip);
const grpcGzip = createClient(EchoService, grpcH2Gzip);

// The server must end a call that outlives the client's deadline with deadline_exceeded;
// "sleep:<ms>" makes Unary slow. The timeout header is set by hand (Connect-Timeout-Ms or
// grpc-timeout) rather than with timeoutMs, so that only the server can produce the
// deadline_exceeded; the client's own safety net is a 5 s abort (canceled).
async function deadline(client, header) {
  const started = Date.now();
  const note = await expectCode(
    client.unary(
      { message: "sleep:5000" },
      { headers: header, signal: AbortSignal.timeout(5_000) },
    ),
    Code.DeadlineExceeded,
  );
  const took = Date.now() - started;
  if (took > 3000) throw new Error(`took ${took} ms for a 300 ms deadline`);
  return `${note} after ${took} ms`;
}
const connectDeadline = { "connect-timeout-ms": "300" };
const grpcDeadline = { "grpc-timeout": "300m" };

// A client that walks away from a long server stream must not hurt the connection: the next
// call on the same transport still works.
async function cancelThenCall(client) {
  const abort = new AbortController();
  let got = 0;
  try {
    const stream = client.serverStream(
      { message: "long", count: 1_000_000 },
      { signal: abort.signal },
    );
    for await (const res of stream) {
      same(res, { message: "long", index: got }, `message ${got}`);
      if (++got === 10) abort.abort();
    }
    throw new Error("the stream ended although the client cancelled it");
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Canceled) throw e;
  }
  await unary(client, "after cancel");
  return `cancelled after ${got} messages, next call ok`;
}

await check("pm.v1 contract: generated JS modules load with their services", async () => {
  const files = readdirSync(new URL("./gen/pm/v1/", import.meta.url)).filter((f) =>
    f.endsWith("_pb.js"),
  );
  const mods = {};
  for (const f of files) Object.assign(mods, await import(`./gen/pm/v1/${f}`));
  const agent = mods.AgentService;
  const control = mods.ControlService;
  if (!agent || !control) throw new Error(`services missing; exports: ${Object.keys(mods).length}`);
  if (agent.method.stream?.methodKind !== "bidi_streaming") {
    throw new Error("AgentService.Stream is not bidi");
  }
  if (agent.typeName !== "pm.v1.AgentService") throw new Error(`typeName ${agent.typeName}`);
  return `${files.length} files, ControlService has ${control.methods.length} methods`;
});
await check("connect h2 mtls bidi ping-pong x100", () => pingPong(connect, 100, letters));
await check("connect h2 mtls bidi burst x100", () => burst(connect, 100, letters));
await check("connect h2 mtls server-stream x50", () => serverStream(connect, "tick", 50));
await check("connect h2 mtls client-stream x100", () =>
  clientStream(connect, Array.from({ length: 100 }, (_, i) => String(i % 10))));
await check("connect h2 mtls unary", () => unary(connect, "hello from node"));
await check("connect h2 mtls unary header + trailer", () => metadata(connect));
await check("connect h2 mtls whoami = client cert CN", () => whoami(connect, args.cn));
await check("connect h2 mtls unary 1 MiB (flow control)", () => unary(connect, big(1 << 20)(1)));
await check("connect h2 mtls bidi 20 x 100 KiB (flow control)", () =>
  burst(connect, 20, big(100 << 10)));
await check("connect h2 mtls 200 concurrent unary calls on one connection", async () => {
  await Promise.all(Array.from({ length: 200 }, (_, i) => unary(connect, `c${i}`)));
  return "200 streams";
});
await check("connect h2 mtls unary error not_found", () =>
  expectCode(connect.unary({ message: "fail:not_found" }, opts()), Code.NotFound));
await check("connect h2 mtls server-stream error resource_exhausted", () =>
  expectCode(
    (async () => {
      const request = { message: "fail:resource_exhausted", count: 2 };
      for await (const _ of connect.serverStream(request, opts()));
    })(),
    Code.ResourceExhausted,
  ));
await check("connect h2 mtls deadline -> deadline_exceeded", () =>
  deadline(connect, connectDeadline));
await check("connect h2 mtls cancel a server-stream, then call again", () =>
  cancelThenCall(connect));
await check("connect h2 mtls gzip unary 1 MiB", () => unary(connectGzip, big(1 << 20)(2)));
await check("connect h2 mtls gzip bidi ping-pong x20", () => pingPong(connectGzip, 20, letters));
await check("connect h1.1 json mtls unary", () => unary(connectJson, "hello over http/1.1 json"));
await check("connect h1.1 json mtls unary header + trailer", () => metadata(connectJson));
await check("connect h1.1 json mtls whoami = client cert CN", () => whoami(connectJson, args.cn));
await check("connect h1.1 json mtls server-stream x5", () =>
  serverStream(connectJson, "json tick", 5));
await check("connect h1.1 json mtls deadline -> deadline_exceeded", () =>
  deadline(connectJson, connectDeadline));
await check("connect h1.1 json mtls unary error invalid_argument", () =>
  expectCode(
    connectJson.unary({ message: "fail:invalid_argument" }, opts()),
    Code.InvalidArgument,
  ));
await check("grpc h2 mtls unary", () => unary(grpc, "hello over grpc"));
await check("grpc h2 mtls unary header + trailer", () => metadata(grpc));
await check("grpc h2 mtls whoami = client cert CN", () => whoami(grpc, args.cn));
await check("grpc h2 mtls bidi ping-pong x100", () => pingPong(grpc, 100, letters));
await check("grpc h2 mtls server-stream x50", () => serverStream(grpc, "grpc tick", 50));
await check("grpc h2 mtls deadline -> deadline_exceeded", () => deadline(grpc, grpcDeadline));
await check("grpc h2 mtls cancel a server-stream, then call again", () => cancelThenCall(grpc));
await check("grpc h2 mtls gzip unary 1 MiB", () => unary(grpcGzip, big(1 << 20)(3)));
await check("grpc h2 mtls gzip bidi burst x50", () => burst(grpcGzip, 50, letters));
await check("grpc h2 mtls unary error not_found", () =>
  expectCode(grpc.unary({ message: "fail:not_found" }, opts()), Code.NotFound));
await check("grpc-web h2 mtls unary", () => unary(grpcWeb, "hello over grpc-web"));
await check("grpc-web h2 mtls unary header + trailer", () => metadata(grpcWeb));
await check("grpc-web h2 mtls bidi burst x100", () => burst(grpcWeb, 100, letters));
await check("a client without a certificate is refused (h2)", () =>
  refused({ baseUrl, httpVersion: "2", nodeOptions: { ca } }));
await check("a client without a certificate is refused (h1.1)", () =>
  refused({ baseUrl, httpVersion: "1.1", nodeOptions: { ca } }));
await check("a client with an untrusted CA's certificate is refused", () =>
  refused({ baseUrl, httpVersion: "2", nodeOptions: stranger }));

console.log(`${passed} passed, ${failed} failed`);
if (failed) console.log(`  failed: ${failures.join("; ")}`);
// Open HTTP/2 sessions would keep the process alive for their idle timeout.
process.exit(failed ? 1 : 0);
