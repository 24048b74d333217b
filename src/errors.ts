import type { TransferView } from './transfer.js';

/** An error a client can act on: it carries the HTTP status and a stable code. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request itself is wrong: a bad file name, body or option. */
export class InvalidInput extends ServiceError {
  constructor(code: string, message: string) {
    super(400, code, message);
  }
}

/** A file or transfer that the request names does not exist. */
export class NotFound extends ServiceError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

/** The request does not fit the state of a transfer or a file. */
export class StateConflict extends ServiceError {
  constructor(
    code: string,
    message: string,
    /** The transfer as it truly stands, when the conflict is about one. */
    readonly transfer: TransferView | null = null,
  ) {
    super(409, code, message);
  }
}
