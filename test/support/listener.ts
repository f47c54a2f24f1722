/**
 * A recording HTTP listener: the host an attacker would like the server to
 * talk to. It counts TCP connections (so a test can prove that not even a
 * SYN was answered) and records every request's Authorization header. By
 * default it answers like a registry asking for Basic credentials, to invite
 * any client holding some to send them.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface RecordingListener {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/** Answers 401 with a Basic challenge, as a registry with htpasswd does. */
export function askForBasic(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(401, { 'www-authenticate': 'Basic realm="listener"', 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'application/json' });
  res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
}

export async function startListener(answer: (req: IncomingMessage, res: ServerResponse) => void = askForBasic): Promise<RecordingListener> {
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => answer(req, res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
