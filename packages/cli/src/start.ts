/**
 * `thinklite start`: runs one node in this process until SIGTERM or SIGINT.
 *
 * stdout carries the JSON logs (pino); stderr the human-readable progress and how to connect.
 * Once serving, one log line `{"msg":"listening","sqlAddr":"HOST:PORT","httpAddr":"HOST:PORT",…}`
 * gives the bound addresses (the real ports when 0 was asked), for scripts and tests.
 *
 * Exit codes: 0 after a graceful stop; 2 when the node cannot start (bad configuration, the store
 * locked by another process, a port in use): one line on stderr, no stack trace; 1 when stopping
 * failed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createLogger, isThinkLiteError, type Logger } from '@thinklite/base';
import { ThinkLiteNode } from '@thinklite/server';
import {
  ConfigError,
  formatHostPort,
  type HostPort,
  resolveStartConfig,
  START_USAGE,
  type StartConfig,
} from './config.js';

export interface StartIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: (text: string) => void;
}

const defaultIo: StartIo = { env: process.env, stderr: (t) => process.stderr.write(t) };

export async function start(argv: readonly string[], io: StartIo = defaultIo): Promise<number> {
  let config: StartConfig;
  try {
    const r = resolveStartConfig({
      argv,
      env: io.env,
      readFile: (f) => fs.readFileSync(f, 'utf8'),
      hostname: os.hostname(),
    });
    if (r.help) {
      process.stdout.write(START_USAGE);
      return 0;
    }
    config = r.config;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`thinklite start: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const logger = createLogger({ level: config.logLevel, base: { pid: process.pid, nodeId: config.nodeId } });
  const say = (line: string) => io.stderr(`thinklite: ${line}\n`);

  // Signals that arrive while starting are honoured once the node is up (or has failed).
  let stopRequested: (signal: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    stopRequested = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info({ signal }, 'stop requested');
      stopRequested(signal);
    } else if (signal === 'SIGINT') {
      // A second Ctrl-C: the operator does not want to wait for the graceful stop.
      say('interrupted again: exiting without waiting for the graceful stop');
      logger.warn({ signal }, 'forced exit');
      process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  say(`opening store ${config.store}…`);
  let node: ThinkLiteNode;
  try {
    node = await ThinkLiteNode.start({
      storeDir: config.store,
      sqlAddr: config.sqlAddr,
      httpAddr: config.httpAddr,
      grpcAddr: config.grpcAddr,
      auth: config.auth,
      ...(config.users ? { users: config.users } : {}),
      logger, // carries nodeId already
      shutdownGraceMs: config.shutdownGraceMs,
      gateways: config.gateways,
      httpSql: config.httpSql,
      ...(config.tls ? { tls: { cert: config.tls.cert, key: config.tls.key, required: config.tls.required } } : {}),
    });
  } catch (e) {
    logger.error({ err: e }, 'could not start');
    io.stderr(`thinklite start: ${startFailure(e, config)}\n`);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return 2;
  }

  const sqlAddr = formatHostPort({ host: config.sqlAddr.host, port: node.sqlAddress.port });
  const httpAddr = formatHostPort({ host: config.httpAddr.host, port: node.httpAddress.port });
  const grpcAddr = formatHostPort({ host: config.grpcAddr.host, port: node.grpcAddress?.port ?? config.grpcAddr.port });
  logger.info(
    {
      sqlAddr,
      httpAddr,
      grpcAddr,
      storeDir: config.store,
      auth: config.auth,
      tls: config.tls ? (config.tls.required ? 'required' : 'on') : 'off',
      gateways: config.gateways,
    },
    'listening',
  );
  say(
    `listening: SQL (PostgreSQL protocol) on ${sqlAddr}, HTTP (SQL /v1/sql, /health /ready /metrics) on ${httpAddr}, gRPC (SQL) on ${grpcAddr}`,
  );
  io.stderr(connectHelp(config, node.sqlAddress.port, httpAddr));

  const signal = await stopSignal;
  say(`${signal}: stopping (running statements get ${config.shutdownGraceMs / 1000}s to finish)…`);
  try {
    await node.stop();
  } catch (e) {
    logger.error({ err: e }, 'stop failed');
    io.stderr(`thinklite: stop failed: ${messageOf(e)}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  say('stopped');
  await flush(logger);
  return 0;
}

/** The lines telling a person how to connect. */
function connectHelp(config: StartConfig, sqlPort: number, httpAddr: string): string {
  const host = reachableHost(config.sqlAddr);
  const user = config.auth === 'trust' ? 'thinklite' : (Object.keys(config.users ?? {})[0] ?? 'thinklite');
  const url = `postgres://${encodeURIComponent(user)}@${host.includes(':') ? `[${host}]` : host}:${sqlPort}/thinklite`;
  const password = config.auth === 'trust' ? '' : ` (password from ${config.usersFile ?? 'the users file'})`;
  return [
    '',
    `Connect${password}:`,
    `  psql "${url}${config.tls ? '?sslmode=require' : ''}"`,
    `  thinklite sql --url ${url}`,
    `  curl ${config.auth === 'trust' ? '' : `-u ${user}:PASSWORD `}http://${httpAddr}/v1/sql -H 'content-type: application/json' -d '{"sql": "SELECT 1"}'`,
    `Health: curl http://${httpAddr}/ready   Metrics: http://${httpAddr}/metrics`,
    'Stop: Ctrl-C or SIGTERM',
    '',
  ].join('\n');
}

/** The address a client on this machine uses for a listener on `a` (a wildcard means localhost). */
function reachableHost(a: HostPort): string {
  if (a.host === '0.0.0.0' || a.host === '') return '127.0.0.1';
  if (a.host === '::') return '::1';
  return a.host;
}

/** One line saying why the node did not start. */
function startFailure(e: unknown, config: StartConfig): string {
  if (isThinkLiteError(e)) {
    if (e.code === 'STORE_LOCKED') return `${e.message} (stop the other node or use another --store)`;
    return `cannot open store ${config.store}: ${e.message}`;
  }
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (err.syscall === 'listen' || err.code === 'EADDRINUSE') {
    const where = err.port !== undefined ? formatHostPort({ host: err.address ?? '', port: err.port }) : 'the address';
    const why =
      err.code === 'EADDRINUSE'
        ? 'address already in use (another process listens there: pick another port)'
        : err.code === 'EACCES'
          ? 'permission denied'
          : err.code === 'EADDRNOTAVAIL'
            ? 'no such address on this machine'
            : messageOf(e);
    return `cannot listen on ${where}: ${why}`;
  }
  if (typeof err.code === 'string' && typeof err.syscall === 'string') {
    return `cannot open store ${config.store}: ${messageOf(e)}`;
  }
  return `could not start: ${messageOf(e)}`;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] as string;
}

function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
