/**
 * The llama.cpp runtime: which compiled backend (CPU, CUDA, Vulkan, Metal) this process uses.
 *
 * Loading a backend tests prebuilt binaries and initialises the native addon, so it is done once
 * per process and shared by every llama engine: the composition root creates one runtime and
 * passes it to each engine. An engine created without one makes a private runtime (tests, tools);
 * the native addon behind it is loaded once per process either way.
 *
 * Contracts:
 * - `load(gpu)` is memoised per preference; concurrent callers share one load.
 * - Never compiles llama.cpp (`build: 'never'`): an explicit `cuda`/`vulkan`/`metal` without a
 *   usable binary fails fast with a clear message instead of building from source for minutes.
 * - Thread counts are never left to node-llama-cpp's default (4 on any machine, which collapses
 *   throughput on 2 cores): the instance has no thread cap (`maxThreads: 0`) and every context
 *   passes the exact count its engine was configured with.
 */
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { TesseraError } from '../../core/errors.js';

export type GpuPreference = 'auto' | 'off' | 'cuda' | 'vulkan' | 'metal';
export type LlamaLogLevelName = 'debug' | 'info' | 'warn' | 'error';
export type LlamaLogSink = (level: LlamaLogLevelName, message: string) => void;

export interface LlamaRuntime {
  /** The loaded backend for this preference (memoised). */
  load(gpu: GpuPreference): Promise<Llama>;
  /**
   * Disposes every loaded backend: call once at process shutdown, after closing every engine.
   * llama.cpp's backend is process-global per binary (node-llama-cpp's addon frees it for every
   * `Llama` instance when any one is disposed), so engines never dispose it themselves.
   */
  dispose(): Promise<void>;
}

export interface LlamaRuntimeOptions {
  /** Receives llama.cpp's own warnings and errors. */
  onLog?: LlamaLogSink;
}

export function createLlamaRuntime(options: LlamaRuntimeOptions = {}): LlamaRuntime {
  const loads = new Map<GpuPreference, Promise<Llama>>();
  let disposed = false;

  return {
    load(gpu) {
      if (disposed) return Promise.reject(new TesseraError('model_not_ready', 'The llama.cpp runtime has been disposed.'));
      let pending = loads.get(gpu);
      if (!pending) {
        pending = loadBackend(gpu, options.onLog);
        // A failed load is not cached: the next engine may retry (e.g. after a driver install).
        pending.catch(() => loads.delete(gpu));
        loads.set(gpu, pending);
      }
      return pending;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const all = [...loads.values()];
      loads.clear();
      for (const pending of all) {
        const llama = await pending.catch(() => null);
        await llama?.dispose();
      }
    },
  };
}

/** The device name engines report in `info.device`. */
export function backendDeviceName(llama: Llama): string {
  return llama.gpu === false ? 'cpu' : llama.gpu;
}

async function loadBackend(gpu: GpuPreference, onLog: LlamaLogSink | undefined): Promise<Llama> {
  const common = {
    build: 'never' as const,
    skipDownload: true,
    progressLogs: false,
    maxThreads: 0,
    logLevel: LlamaLogLevel.warn,
    logger: (level: LlamaLogLevel, message: string) => onLog?.(mapLogLevel(level), message.trimEnd()),
  };
  if (gpu === 'off') return getLlama({ ...common, gpu: false });
  if (gpu === 'auto') {
    // Tries CUDA, then Vulkan (Metal on macOS), then CPU, using binaries that load and pass a test.
    return getLlama({ ...common, gpu: 'auto' });
  }
  const refuse = (reason: string, cause?: unknown): TesseraError =>
    new TesseraError(
      'invalid_config',
      `GPU backend "${gpu}" was requested but no usable ${gpu} build of llama.cpp was found (${reason}). ` +
        'Use --gpu auto to pick the best available backend, or --gpu off for the CPU. A build made with ' +
        '`npx node-llama-cpp source build` and NODE_LLAMA_CPP_CMAKE_OPTION_* variables is found only while the same variables are set.',
      { cause },
    );
  let llama: Llama;
  try {
    llama = await getLlama({ ...common, gpu });
  } catch (err) {
    throw refuse(`node-llama-cpp: ${err instanceof Error ? err.message || err.name : String(err)}`, err);
  }
  // Where a backend cannot exist at all (Metal off macOS) node-llama-cpp quietly returns the CPU.
  // Not disposed: that would free the process-global backend other engines may be using.
  if (llama.gpu !== gpu) {
    throw refuse(`node-llama-cpp loaded ${llama.gpu === false ? 'the CPU backend' : llama.gpu} instead`);
  }
  return llama;
}

function mapLogLevel(level: LlamaLogLevel): LlamaLogLevelName {
  switch (level) {
    case LlamaLogLevel.fatal:
    case LlamaLogLevel.error:
      return 'error';
    case LlamaLogLevel.warn:
      return 'warn';
    case LlamaLogLevel.debug:
      return 'debug';
    default:
      return 'info';
  }
}
