export { buildServer, type ServerDeps } from './server.js';
export { bearerSecret, keyVerifierFromStore, type AuthenticatedKey, type KeyVerifier } from './auth.js';
