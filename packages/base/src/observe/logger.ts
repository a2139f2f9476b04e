import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * The root logger of a process: structured JSON on stdout (or the given destination). Components
 * derive children with their ids bound: `logger.child({ component: 'storage', storeId })`, and
 * later `{ nodeId, rangeId, txnId }`, so every line says where it came from.
 */
export function createLogger(options: LoggerOptions = {}, destination?: NodeJS.WritableStream): Logger {
  const base: LoggerOptions = {
    level: process.env.THINKLITE_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...options,
  };
  return destination ? pino(base, destination as pino.DestinationStream) : pino(base);
}

/** A logger that drops everything: the default for libraries embedded without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
