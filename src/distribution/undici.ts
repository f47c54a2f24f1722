/**
 * The pieces of undici the registry client uses, loaded from their own
 * files: undici's index also loads fetch, WebSocket, caches, mocks and more,
 * which cost every command ~70 ms of its start (measured with the compile
 * cache on: 116-125 ms for the index, 46-48 ms for these two). The index
 * only re-exports these same modules, and adds `request` to every
 * dispatcher's prototype, which {@link request} does without. The lockfile
 * pins undici; every test that talks to a registry goes through here.
 */
import { createRequire } from 'node:module';
import { longRun } from '../runtime/long-run.ts';
import type { buildConnector as UndiciBuildConnector, Agent as UndiciAgent, Dispatcher, Pool as UndiciPool, ProxyAgent as UndiciProxyAgent } from 'undici';

const load = createRequire(import.meta.url);

// A command that reaches for undici is a sync, a bundle or the server: the
// long-run memory settings go on first (longRun, before each first load
// below), so that llhttp's WebAssembly is compiled under --liftoff-only
// (runtime/long-run.ts). Each load takes a string literal: scripts/sea/bundle.ts
// turns each into a require() of the bundle.

// Each piece is required on first use, not at import: a command whose
// requests all go through node:http (node-http.ts: inspect, copy) never
// loads undici, its WebAssembly parser or node:http2, ~80 ms of CPU a start
// (measured: one GET 232-243 ms with undici, 156-158 ms with node:http).
let agentClass: typeof UndiciAgent | undefined;
let connectorFactory: typeof UndiciBuildConnector | undefined;
let requestApi: ((this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>) | undefined;

/** undici's Agent: a pool of keep-alive connections per origin (`new Agent(options)`, its files loaded then). */
export const Agent = function Agent(options?: UndiciAgent.Options) {
  longRun();
  agentClass ??= load('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
  return new agentClass(options);
} as unknown as typeof UndiciAgent;
export type Agent = UndiciAgent;

/** undici's TCP/TLS connector factory, for an Agent `connect` function that adds a DNS lookup of ours (egress.ts). */
export const buildConnector = ((options: UndiciBuildConnector.BuildOptions) => {
  longRun();
  connectorFactory ??= load('undici/lib/core/connect.js') as typeof UndiciBuildConnector;
  return connectorFactory(options);
}) as typeof UndiciBuildConnector;

/**
 * A new undici ProxyAgent (proxy.ts), its files loaded on first use only.
 * It opens tunnels with `pool.connect()`, an API the index adds to every
 * dispatcher's prototype; here only the pool to the proxy gets it, so a
 * proxied run does not load the index either (measured with plain require
 * on this loaded machine: 3-30 ms for these files, 400-500 ms for the index).
 */
export function createProxyAgent(options: UndiciProxyAgent.Options): UndiciProxyAgent {
  longRun();
  const ProxyAgent = load('undici/lib/dispatcher/proxy-agent.js') as typeof UndiciProxyAgent;
  const Pool = load('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
  const connectApi = load('undici/lib/api/api-connect.js') as Dispatcher['connect'];
  return new ProxyAgent({ ...options, clientFactory: (origin, opts) => Object.assign(new Pool(origin, opts as UndiciPool.Options), { connect: connectApi }) });
}

/** `dispatcher.request(options)`: one request, the response body as a stream. */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  longRun();
  requestApi ??= load('undici/lib/api/api-request.js') as NonNullable<typeof requestApi>;
  return requestApi.call(dispatcher, options);
}
