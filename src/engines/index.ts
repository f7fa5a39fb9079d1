export type * from './types.js';
export { createFakeEngine, type FakeEngineOptions } from './fake/index.js';
