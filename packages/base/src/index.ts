export { AssertionError, assert, unreachable } from './assert.js';
export { ERROR_CATALOGUE, type ErrorCode, type ErrorSpec, errorSpec, type GrpcStatusName } from './errors/catalogue.js';
export { isThinkLiteError, ThinkLiteError } from './errors/thinklite-error.js';
export {
  type HlcOptions,
  HybridLogicalClock,
  ManualClock,
  type PhysicalClock,
} from './hlc/clock.js';
export { systemPhysicalClock } from './hlc/system-clock.js';
export {
  compareTimestamps,
  formatTimestamp,
  isZeroTimestamp,
  LOGICAL_MAX,
  MAX_TIMESTAMP,
  parseTimestamp,
  type Timestamp,
  timestamp,
  timestampAddMicros,
  timestampLess,
  timestampLessEq,
  timestampMax,
  timestampNext,
  ZERO_TIMESTAMP,
} from './hlc/timestamp.js';
export { createLogger, type Logger, silentLogger } from './observe/logger.js';
export { Counter, createRegistry, Gauge, Histogram, LATENCY_BUCKETS_SECONDS, Registry } from './observe/metrics.js';
export { SeededRandom } from './random.js';
