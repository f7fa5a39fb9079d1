/**
 * The one error handler: every failure leaves as `{ error: { message, type, param, code } }` with
 * a code from the catalog. Fastify's own errors (bad JSON, body too large, wrong content type) are
 * mapped onto catalog codes; anything unexpected is logged with its stack and answered as
 * `internal_error` without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { TesseraError, isTesseraError } from '../core/errors.js';

function fromFastifyError(err: FastifyError): TesseraError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new TesseraError('invalid_json', `The request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TesseraError('request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new TesseraError('invalid_request', 'Send the body as application/json.');
    default:
      if (err instanceof SyntaxError) return new TesseraError('invalid_json', `The request body is not valid JSON: ${err.message}`);
      return null;
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = isTesseraError(err) ? err : fromFastifyError(err);
    if (known) {
      if (known.status >= 500) request.log.warn({ code: known.code }, known.message);
      if (known.retryAfterSeconds !== null) reply.header('retry-after', String(Math.max(1, Math.ceil(known.retryAfterSeconds))));
      return reply.code(known.status).send(known.toJSON());
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send(new TesseraError('internal_error').toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new TesseraError('not_found', `Unknown route: ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(error.toJSON());
  });
}
