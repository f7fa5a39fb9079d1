export { CATALOG, defaultCatalogEntry, resolveCatalogEntry, type CatalogEntry, type CatalogQuant } from './catalog.js';
export { FILE_TYPES, TENSOR_TYPES } from './gguf/format.js';
export { readGgufHeader, type GgufHeader, type GgufTensorInfo } from './gguf/reader.js';
export { inspectGguf, type ModelInfo } from './inspect.js';
export { createModelLibrary, type InstalledModel, type ModelLibrary } from './library.js';
export { chooseParallel, CPU_MAX_PARALLEL, estimateMemory, formatBytes, type MemoryEstimate, type MemoryShape, type ParallelChoice } from './memory.js';
export { pullModel, resolvePullSource, type PullOptions, type PullProgress, type PullResult } from './pull.js';
export { parameterCount, QWEN_SHAPES, type ModelShape } from './shapes.js';
export {
  createTestModel,
  isTestModelSize,
  TEST_MODEL_SIZES,
  type CreateTestModelOptions,
  type TestModelQuant,
  type TestModelSize,
} from './test-model.js';
