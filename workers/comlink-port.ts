import type { MessagePort, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';

// Comlink speaks the browser's postMessage; its node adapter maps that onto a
// worker_threads port. The adapter ships as UMD, whose default export reaches an
// ES module either as the function or wrapped in `default`.
type Adapter = (port: MessagePort | Worker) => Comlink.Endpoint;
const adapt: Adapter =
  (nodeEndpoint as unknown as { default?: Adapter }).default ??
  (nodeEndpoint as unknown as Adapter);

/** Serves `api` to whoever holds the other end of `port`. */
export function exposeOverPort(api: object, port: MessagePort): void {
  Comlink.expose(api, adapt(port));
}

/** A typed proxy for the API a worker serves with `exposeOverPort`. */
export function wrapWorker<T>(worker: Worker): Comlink.Remote<T> {
  return Comlink.wrap<T>(adapt(worker));
}

/** Marks a callback so that Comlink passes it by reference, not by copy. */
export const byReference = Comlink.proxy;
