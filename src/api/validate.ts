import type { z } from 'zod';
import { TesseraError } from '../core/errors.js';

/** OpenAI writes parameter paths as `messages[0].content`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Parses a request body or throws the catalog error for its first problem, naming the parameter.
 * Unknown fields are `unknown_parameter`; everything else is `invalid_request`.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TesseraError('invalid_request', 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const param = formatPath([...issue.path, issue.keys[0]]);
    throw new TesseraError('unknown_parameter', `Unrecognized request argument supplied: ${param}`, { param });
  }
  const param = formatPath(issue.path);
  const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
  const message = missing ? `Missing required parameter: '${param}'.` : `Invalid '${param}': ${issue.message}.`;
  throw new TesseraError('invalid_request', message, { param: param || null });
}
