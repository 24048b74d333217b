// A minimal HTTP client over node:http with kept-alive connections: the latency
// figures should be the server's, not a client's connection set-up or parsing.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

// Node 20's agent honours the server's Keep-Alive timeout hint, so a socket the
// server is about to close is not reused.
const agent = new Agent({ keepAlive: true });

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  json?: unknown;
}

/** Sends one request and reads the whole reply; rejects only on network errors. */
export function send(
  method: 'GET' | 'POST',
  url: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers, agent }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    outgoing.on('error', (error) => {
      reject(new Error(`${method} ${url}: ${error.message}`));
    });
    outgoing.end(body);
  });
}

/** The reply's body as JSON, or an error naming the request and what came back. */
export function jsonOf<T>(reply: Reply, what: string): T {
  try {
    return JSON.parse(reply.body) as T;
  } catch {
    throw new Error(`${what}: expected a JSON body, got ${reply.status} ${reply.body}`);
  }
}

/** Throws unless the reply has the expected status, quoting what came instead. */
export function expectStatus(reply: Reply, expected: number, what: string): Reply {
  if (reply.status !== expected) {
    throw new Error(`${what}: expected ${expected}, got ${reply.status} ${reply.body}`);
  }
  return reply;
}

/** Closes the kept-alive sockets so the bench process can exit promptly. */
export function closeConnections(): void {
  agent.destroy();
}
