import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { ServiceError, StateConflict } from './errors.js';

/** Whether the client's Accept header prefers JSON to plain text. */
export function prefersJson(ctx: Context): boolean {
  return ctx.accepts('text/plain', 'application/json') === 'application/json';
}

/** Whether the client asked not to wait (RFC 7240: `Prefer: respond-async`). */
export function prefersAsync(ctx: Context): boolean {
  const prefer = ctx.get('Prefer').toLowerCase();
  return prefer.split(',').some((part) => part.trim() === 'respond-async');
}

/** Logs one line per request once it is answered; polling of /status stays at debug. */
export function logRequests(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = Number((performance.now() - started).toFixed(1));
      const line = { method: ctx.method, url: ctx.url, status: ctx.status, ms };
      if (ctx.path === '/status' || ctx.method === 'GET') logger.debug(line, 'request');
      else logger.info(line, 'request');
    }
  };
}

/**
 * Turns errors into replies: a ServiceError's message and code reach the client;
 * anything else is logged and answered with a bare 500, hiding the details.
 * The API answers JSON; the seed's routes answer text unless JSON is preferred.
 */
export function replyToErrors(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (caught) {
      const { status, code, message } = describe(caught);
      if (status >= 500) logger.error({ err: caught, url: ctx.url }, 'request failed');
      ctx.status = status;
      const transfer = caught instanceof StateConflict ? caught.transfer : null;
      if (ctx.path.startsWith('/api/')) {
        ctx.body = { error: { code, message }, ...(transfer ? { transfer } : {}) };
      } else if (prefersJson(ctx)) {
        ctx.body = { message, transfer, error: { code, message } };
      } else {
        ctx.body = message;
      }
    }
  };
}

function describe(caught: unknown): { status: number; code: string; message: string } {
  if (caught instanceof ServiceError) return caught;
  // Errors from Koa's own stack (a malformed JSON body, say) carry a 4xx status.
  const error = caught as { status?: number; message?: string; body?: unknown } | null;
  const status = error?.status ?? 500;
  if (status >= 500 || status < 400) {
    return { status: 500, code: 'INTERNAL', message: 'Internal Server Error' };
  }
  if (status === 400 && error?.body !== undefined) {
    return {
      status,
      code: 'INVALID_BODY',
      message: `body must be valid JSON: ${error.message}`,
    };
  }
  return { status, code: 'REQUEST_ERROR', message: String(error?.message) };
}
