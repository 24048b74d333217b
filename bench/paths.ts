import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The bench runs compiled from dist/bench/, so the project root is two levels up;
// resolving from here keeps `node dist/bench/run.js` working from any directory.
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Generated inputs and scratch folders; gitignored, on the same disk as the copies. */
export const DATA_DIR = join(PROJECT_ROOT, 'bench', 'data');

/** Where results.json and results.md land. */
export const RESULTS_DIR = join(PROJECT_ROOT, 'bench', 'results');

/** The compiled service entry point the bench starts as a child process. */
export const SERVICE_MAIN = join(PROJECT_ROOT, 'dist', 'src', 'main.js');
