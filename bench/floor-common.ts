/**
 * What the floors (bench/floor-sync.ts, floor-copy.ts, floor-noop.ts) share:
 * their arguments (the data set's JSON, the source and destination hosts,
 * then their own) and a bare HTTP call on keep-alive connections that
 * fails on any status it was not told to expect.
 */
import { readFileSync } from 'node:fs';
import { type Agent, request } from 'undici';
import type { DataSet } from './dataset.ts';

export interface FloorInput {
  dataSetFile: string;
  ds: DataSet;
  src: string;
  dst: string;
  /** The script's own arguments after the three shared ones, all present. */
  rest: string[];
}

/** The command line of `bench/<script>.ts DATASET_JSON SRC_HOST DST_HOST ...extra`; usage and exit 2 when one is missing. */
export function floorInput(script: string, extra: readonly string[] = []): FloorInput {
  const [dataSetFile, srcHost, dstHost, ...rest] = process.argv.slice(2);
  if (!dataSetFile || !srcHost || !dstHost || rest.length < extra.length || rest.slice(0, extra.length).some((a) => !a)) {
    process.stderr.write(`usage: node bench/${script}.ts DATASET_JSON SRC_HOST DST_HOST${extra.map((e) => ` ${e}`).join('')}\n`);
    process.exit(2);
  }
  return { dataSetFile, ds: JSON.parse(readFileSync(dataSetFile, 'utf8')) as DataSet, src: `http://${srcHost}`, dst: `http://${dstHost}`, rest };
}

/** One request through `agent`; any status outside `ok` throws with the answer's body. */
export function httpCaller(agent: Agent) {
  return async function call(method: 'GET' | 'POST' | 'PUT', url: string, ok: number[], init: { body?: Buffer | NodeJS.ReadableStream; headers?: Record<string, string> } = {}) {
    const res = await request(url, { method, dispatcher: agent, reset: false, headers: init.headers, body: init.body as Buffer });
    if (!ok.includes(res.statusCode)) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${await res.body.text()}`);
    return res;
  };
}
