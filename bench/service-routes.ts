// The service's routes as the scenarios call them, one function per move; each
// checks the status it expects, so a scenario never times a refused request.
import { expectStatus, jsonOf, send, type Reply } from './http-client.js';

/** The fields of a transfer the bench reads. */
export interface TransferJson {
  id: string;
  state: string;
  bytesDone: number;
  bytesTotal: number;
  sha256: string | null;
}

const ASYNC = { Prefer: 'respond-async', Accept: 'application/json' };
const JSON_REPLY = { Accept: 'application/json' };

const fileQuery = (file: string) => `file=${encodeURIComponent(file)}`;

/** POST /upload and wait for it to complete: 200 Uploading Completed. */
export async function uploadAndWait(url: string, file: string): Promise<TransferJson> {
  const route = `${url}/upload?${fileQuery(file)}`;
  const reply = await send('POST', route, { headers: JSON_REPLY });
  expectStatus(reply, 200, `upload of ${file}`);
  return transferOf(reply, 'upload');
}

/** POST /upload with `Prefer: respond-async`: 202 at once; returns the transfer id. */
export async function startUpload(url: string, file: string): Promise<string> {
  const route = `${url}/upload?${fileQuery(file)}`;
  const reply = await send('POST', route, { headers: ASYNC });
  expectStatus(reply, 202, `async upload of ${file}`);
  return idOf(reply);
}

/** POST /pause as it is: a 200 when paused, a 409 when nothing could be. */
export function pauseUpload(url: string, file: string): Promise<Reply> {
  return send('POST', `${url}/pause?${fileQuery(file)}`, { headers: JSON_REPLY });
}

/** POST /resume with `Prefer: respond-async`, as it is: 202, or 409. */
export function resumeUpload(url: string, file: string): Promise<Reply> {
  return send('POST', `${url}/resume?${fileQuery(file)}`, { headers: ASYNC });
}

/** POST /terminate: stops the upload and deletes its partial file. */
export async function terminateUpload(url: string, file: string): Promise<void> {
  const reply = await send('POST', `${url}/terminate?${fileQuery(file)}`);
  expectStatus(reply, 200, `terminate of ${file}`);
}

/** POST /api/transfers: creates and starts an upload; 201 and the transfer. */
export async function createTransfer(url: string, file: string): Promise<TransferJson> {
  const reply = await send('POST', `${url}/api/transfers`, {
    json: { direction: 'upload', file },
  });
  expectStatus(reply, 201, `create of ${file}`);
  return jsonOf<TransferJson>(reply, 'create');
}

/** POST /api/transfers/{id}/pause|resume|terminate; 200 and the transfer. */
export async function moveTransfer(
  url: string,
  id: string,
  move: 'pause' | 'resume' | 'terminate',
): Promise<TransferJson> {
  const reply = await send('POST', `${url}/api/transfers/${id}/${move}`);
  expectStatus(reply, 200, `${move} of ${id}`);
  return jsonOf<TransferJson>(reply, move);
}

/** GET /api/transfers?state=…: the transfers in that state. */
export async function listTransfers(url: string, state: string): Promise<TransferJson[]> {
  const reply = await send('GET', `${url}/api/transfers?state=${state}`);
  expectStatus(reply, 200, `list of ${state} transfers`);
  return jsonOf<{ transfers: TransferJson[] }>(reply, 'list').transfers;
}

/** The transfer in a seed route's JSON reply ({message, transfer}). */
export function transferOf(reply: Reply, what: string): TransferJson {
  const body = jsonOf<{ transfer: TransferJson | null }>(reply, what);
  if (!body.transfer) {
    throw new Error(`${what}: the reply names no transfer: ${reply.body}`);
  }
  return body.transfer;
}

function idOf(reply: Reply): string {
  const location = reply.headers.location ?? '';
  const id = /\/api\/transfers\/([^/]+)$/.exec(location)?.[1];
  if (!id) throw new Error(`expected a Location /api/transfers/{id}, got "${location}"`);
  return id;
}
