import { InvalidInput } from './errors.js';

/** The extensions a transfer accepts; anything else is refused before it is opened. */
export const TRANSFER_EXTENSIONS = ['.csv', '.tsv', '.txt'];

const PLAIN_NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_. -]{0,200}$/u;

/**
 * Returns `name` if it is a plain file name such as data.csv, so that no request
 * can reach outside the configured folders; otherwise refuses it with a message
 * that says what was expected.
 */
export function checkFileName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new InvalidInput(
      'INVALID_FILE_NAME',
      `file name must be a string like data.csv, got ${describe(name)}`,
    );
  }
  const plain = PLAIN_NAME.test(name) && !name.includes('..');
  const extension = name.slice(name.lastIndexOf('.')).toLowerCase();
  if (!plain || !TRANSFER_EXTENSIONS.includes(extension)) {
    throw new InvalidInput(
      'INVALID_FILE_NAME',
      `file name must be a plain name ending in ${TRANSFER_EXTENSIONS.join(', ')} ` +
        `like data.csv, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
