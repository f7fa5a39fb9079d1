export { buildServer, type ServerDeps } from './server.js';
export { bearerSecret, type AuthenticatedKey, type KeyVerifier } from './auth.js';
