// The entry point of a copier thread: serves the copier API to the main thread.
import { parentPort } from 'node:worker_threads';
import { copierApi } from './copier-api.js';
import { exposeOverPort } from './comlink-port.js';

if (!parentPort) throw new Error('the copier must run in a worker thread');
exposeOverPort(copierApi, parentPort);
