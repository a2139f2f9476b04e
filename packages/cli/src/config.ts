/**
 * The configuration of `thinklite start`: each setting comes from a flag, else an environment
 * variable, else the JSON config file, else its default. Everything here is pure (the environment
 * and the file reader are passed in), so resolution is tested without a process.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type AuthMode = 'trust' | 'scram-sha-256';
const AUTH_MODES: readonly AuthMode[] = ['trust', 'scram-sha-256'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StartConfig {
  readonly store: string;
  readonly sqlAddr: HostPort;
  readonly httpAddr: HostPort;
  /** SQL over gRPC (proto/sql.proto). */
  readonly grpcAddr: HostPort;
  readonly auth: AuthMode;
  /** user → clear-text password or SCRAM verifier; required for scram-sha-256. */
  readonly users: Readonly<Record<string, string>> | undefined;
  /** Where `users` came from (a file path), for messages. */
  readonly usersFile: string | undefined;
  readonly logLevel: LogLevel;
  readonly nodeId: string;
  /** How long a stop waits for running statements before cancelling them. */
  readonly shutdownGraceMs: number;
  /** SQL gateway processes serving the PostgreSQL protocol (0: all in the node's one process). */
  readonly gateways: number;
  /** SQL over HTTP: open sessions allowed, their idle timeout, the default statement timeout (0: none). */
  readonly httpSql: {
    readonly maxSessions: number;
    readonly sessionIdleTimeoutMs: number;
    readonly statementTimeoutMs: number;
  };
  /** TLS on the PostgreSQL protocol: the PEM certificate and key read from their files. */
  readonly tls: TlsConfig | undefined;
  /** The config file read, if any. */
  readonly configFile: string | undefined;
}

export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Plain-text clients are refused (FATAL 28000). */
  readonly required: boolean;
}

/** Defaults: ports chosen not to collide with a local PostgreSQL (5432). */
export const DEFAULTS = {
  store: './data',
  sqlAddr: '127.0.0.1:26257',
  httpAddr: '127.0.0.1:8080',
  grpcAddr: '127.0.0.1:26258',
  auth: 'trust',
  logLevel: 'info',
  shutdownGrace: '10s',
  httpMaxSessions: 100,
  gateways: 0,
  httpSessionIdleTimeout: '60s',
  httpStatementTimeout: '0s',
} as const;

/** A setting's flag, environment variable and config-file key. */
interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly key: string;
}

const SETTINGS = {
  store: { flag: 'store', env: 'THINKLITE_STORE', key: 'store' },
  sqlAddr: { flag: 'sql-addr', env: 'THINKLITE_SQL_ADDR', key: 'sqlAddr' },
  httpAddr: { flag: 'http-addr', env: 'THINKLITE_HTTP_ADDR', key: 'httpAddr' },
  grpcAddr: { flag: 'grpc-addr', env: 'THINKLITE_GRPC_ADDR', key: 'grpcAddr' },
  auth: { flag: 'auth', env: 'THINKLITE_AUTH', key: 'auth' },
  users: { flag: 'users', env: 'THINKLITE_USERS', key: 'users' },
  logLevel: { flag: 'log-level', env: 'THINKLITE_LOG_LEVEL', key: 'logLevel' },
  nodeId: { flag: 'node-id', env: 'THINKLITE_NODE_ID', key: 'nodeId' },
  shutdownGrace: { flag: 'shutdown-grace', env: 'THINKLITE_SHUTDOWN_GRACE', key: 'shutdownGrace' },
  httpMaxSessions: { flag: 'http-max-sessions', env: 'THINKLITE_HTTP_MAX_SESSIONS', key: 'httpMaxSessions' },
  gateways: { flag: 'gateways', env: 'THINKLITE_GATEWAYS', key: 'gateways' },
  httpSessionIdleTimeout: {
    flag: 'http-session-idle-timeout',
    env: 'THINKLITE_HTTP_SESSION_IDLE_TIMEOUT',
    key: 'httpSessionIdleTimeout',
  },
  httpStatementTimeout: {
    flag: 'http-statement-timeout',
    env: 'THINKLITE_HTTP_STATEMENT_TIMEOUT',
    key: 'httpStatementTimeout',
  },
  tlsCert: { flag: 'tls-cert', env: 'THINKLITE_TLS_CERT', key: 'tlsCert' },
  tlsKey: { flag: 'tls-key', env: 'THINKLITE_TLS_KEY', key: 'tlsKey' },
  tlsRequired: { flag: 'tls-required', env: 'THINKLITE_TLS_REQUIRED', key: 'tlsRequired' },
} as const satisfies Record<string, Setting>;

const CONFIG_SETTING: Setting = { flag: 'config', env: 'THINKLITE_CONFIG', key: '' };

export const START_USAGE = `usage: thinklite start [options]
Runs one ThinkLite node: the PostgreSQL protocol; SQL over HTTP (/v1/sql), /health, /ready and /metrics.
options (each also from an environment variable and a JSON config file key; flag > env > file > default):
  --store DIR             the store directory, created if missing   THINKLITE_STORE      store     (${DEFAULTS.store})
  --sql-addr HOST:PORT    PostgreSQL protocol                       THINKLITE_SQL_ADDR   sqlAddr   (${DEFAULTS.sqlAddr})
  --http-addr HOST:PORT   SQL over HTTP, /health /ready /metrics    THINKLITE_HTTP_ADDR  httpAddr  (${DEFAULTS.httpAddr})
  --grpc-addr HOST:PORT   SQL over gRPC (Execute, streaming Query)  THINKLITE_GRPC_ADDR  grpcAddr  (${DEFAULTS.grpcAddr})
  --auth MODE             trust | scram-sha-256                     THINKLITE_AUTH       auth      (${DEFAULTS.auth})
  --users FILE            JSON {"user": "password or SCRAM verifier"} THINKLITE_USERS    users
  --log-level LEVEL       fatal error warn info debug trace silent  THINKLITE_LOG_LEVEL  logLevel  (${DEFAULTS.logLevel})
  --node-id ID            the node's id in logs                     THINKLITE_NODE_ID    nodeId    (host name)
  --shutdown-grace TIME   running statements' time to finish on stop THINKLITE_SHUTDOWN_GRACE shutdownGrace (${DEFAULTS.shutdownGrace})
  --gateways N            processes serving the PostgreSQL protocol THINKLITE_GATEWAYS  gateways  (${DEFAULTS.gateways}: in the node process;
                          N ≥ 1: N SQL gateway processes beside the store's owner, N + 1 cores; at most 127)
  --http-max-sessions N   open SQL-over-HTTP sessions allowed       THINKLITE_HTTP_MAX_SESSIONS httpMaxSessions (${DEFAULTS.httpMaxSessions})
  --http-session-idle-timeout TIME  idle HTTP sessions roll back    THINKLITE_HTTP_SESSION_IDLE_TIMEOUT httpSessionIdleTimeout (${DEFAULTS.httpSessionIdleTimeout}; 0: never)
  --http-statement-timeout TIME  HTTP requests' default timeout     THINKLITE_HTTP_STATEMENT_TIMEOUT httpStatementTimeout (0: none)
  --tls-cert FILE         TLS certificate (PEM) for the SQL port     THINKLITE_TLS_CERT   tlsCert
  --tls-key FILE          its private key (PEM)                     THINKLITE_TLS_KEY    tlsKey
  --tls-required          refuse clients without TLS (28000)        THINKLITE_TLS_REQUIRED=true tlsRequired: true
  --config FILE           a JSON file of the keys above             THINKLITE_CONFIG
Port 0 picks a free port; the bound addresses are logged ({"msg":"listening",…}).
`;

/** A configuration the operator must fix: reported as one line, exit code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ResolveInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a file as text (throws as fs.readFileSync does). */
  readonly readFile: (file: string) => string;
  readonly hostname: string;
}

export type ResolveResult = { readonly help: true } | { readonly help: false; readonly config: StartConfig };

/** Resolves the configuration; throws ConfigError for anything wrong with it. */
export function resolveStartConfig(input: ResolveInput): ResolveResult {
  let flags: Record<string, string | boolean | undefined>;
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
      help: { type: 'boolean', short: 'h' },
    };
    for (const s of [...Object.values(SETTINGS), CONFIG_SETTING]) options[s.flag] = { type: 'string' };
    options[SETTINGS.tlsRequired.flag] = { type: 'boolean' };
    flags = parseArgs({ args: [...input.argv], options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (flags.help) return { help: true };

  const configFile = str(flags.config) ?? nonEmpty(input.env.THINKLITE_CONFIG);
  const file = configFile === undefined ? {} : readConfigFile(configFile, input.readFile);

  /** The value of a setting and where it came from, for messages. */
  const pick = (s: Setting): { value: unknown; source: string } | undefined => {
    const f = flags[s.flag] === true ? true : str(flags[s.flag]); // true: a boolean flag given
    if (f !== undefined) return { value: f, source: `--${s.flag}` };
    const e = nonEmpty(input.env[s.env]);
    if (e !== undefined) return { value: e, source: s.env };
    if (s.key in file) return { value: file[s.key], source: `${configFile}: "${s.key}"` };
    return undefined;
  };
  const text = (s: Setting, fallback: string): { value: string; source: string } => {
    const p = pick(s);
    if (p === undefined) return { value: fallback, source: 'the default' };
    if (typeof p.value !== 'string' || p.value === '')
      throw new ConfigError(`${p.source}: expected a non-empty string`);
    return { value: p.value, source: p.source };
  };

  const store = text(SETTINGS.store, DEFAULTS.store);
  const storeDir = store.source.startsWith(`${configFile}:`)
    ? path.resolve(path.dirname(configFile as string), store.value)
    : store.value;
  const addr = (s: Setting, fallback: string) => {
    const t = text(s, fallback);
    return parseHostPort(t.value, t.source);
  };
  const sqlAddr = addr(SETTINGS.sqlAddr, DEFAULTS.sqlAddr);
  const httpAddr = addr(SETTINGS.httpAddr, DEFAULTS.httpAddr);
  const grpcAddr = addr(SETTINGS.grpcAddr, DEFAULTS.grpcAddr);

  const auth = text(SETTINGS.auth, DEFAULTS.auth);
  if (!(AUTH_MODES as readonly string[]).includes(auth.value)) {
    throw new ConfigError(`${auth.source}: unknown auth mode "${auth.value}" (expected ${AUTH_MODES.join(' or ')})`);
  }
  const logLevel = text(SETTINGS.logLevel, DEFAULTS.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel.value)) {
    throw new ConfigError(
      `${logLevel.source}: unknown log level "${logLevel.value}" (expected ${LOG_LEVELS.join(', ')})`,
    );
  }
  const nodeId = text(SETTINGS.nodeId, input.hostname || 'node');
  const grace = pick(SETTINGS.shutdownGrace);
  const shutdownGraceMs =
    grace === undefined
      ? parseDuration(DEFAULTS.shutdownGrace, 'the default')
      : parseDuration(String(grace.value), grace.source);

  const duration = (s: Setting, fallback: string): number => {
    const p = pick(s);
    return p === undefined ? parseDuration(fallback, 'the default') : parseDuration(String(p.value), p.source);
  };
  /** A whole number from `min` to `max`. */
  const whole = (setting: Setting, fallback: number, min: number, max: number): number => {
    const p = pick(setting);
    if (p === undefined) return fallback;
    const v = p.value;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER
          ? min === 1
            ? 'a positive whole number'
            : `a whole number ≥ ${min}`
          : `a whole number from ${min} to ${max}`;
      throw new ConfigError(`${p.source}: "${String(v)}" is not ${range}`);
    }
    return n;
  };
  const gateways = whole(SETTINGS.gateways, DEFAULTS.gateways, 0, 127);
  const httpSql = {
    maxSessions: whole(SETTINGS.httpMaxSessions, DEFAULTS.httpMaxSessions, 1, Number.MAX_SAFE_INTEGER),
    sessionIdleTimeoutMs: duration(SETTINGS.httpSessionIdleTimeout, DEFAULTS.httpSessionIdleTimeout),
    statementTimeoutMs: duration(SETTINGS.httpStatementTimeout, DEFAULTS.httpStatementTimeout),
  };

  let users: Record<string, string> | undefined;
  let usersFile: string | undefined;
  const u = pick(SETTINGS.users);
  if (u !== undefined) {
    if (typeof u.value === 'string') {
      usersFile = u.source.startsWith(`${configFile}:`)
        ? path.resolve(path.dirname(configFile as string), u.value)
        : u.value;
      users = readUsersFile(usersFile, u.source, input.readFile);
    } else users = checkUsers(u.value, u.source);
  }
  if (auth.value === 'scram-sha-256' && (users === undefined || Object.keys(users).length === 0)) {
    throw new ConfigError(`${auth.source}: scram-sha-256 needs users: give --users FILE (JSON {"user": "password"})`);
  }

  const tls = resolveTls(pick, configFile, input.readFile);

  return {
    help: false,
    config: {
      store: storeDir,
      sqlAddr,
      httpAddr,
      grpcAddr,
      auth: auth.value as AuthMode,
      users,
      usersFile,
      logLevel: logLevel.value as LogLevel,
      nodeId: nodeId.value,
      shutdownGraceMs,
      gateways,
      httpSql,
      tls,
      configFile,
    },
  };
}

/** --tls-cert and --tls-key (both or neither; paths in the config file relative to it), --tls-required. */
function resolveTls(
  pick: (s: Setting) => { value: unknown; source: string } | undefined,
  configFile: string | undefined,
  readFile: (f: string) => string,
): TlsConfig | undefined {
  const cert = pick(SETTINGS.tlsCert);
  const key = pick(SETTINGS.tlsKey);
  const required = pickBoolean(pick(SETTINGS.tlsRequired));
  if (cert === undefined && key === undefined) {
    if (required?.value)
      throw new ConfigError(`${required.source}: TLS cannot be required without --tls-cert and --tls-key`);
    return undefined;
  }
  if (cert === undefined)
    throw new ConfigError(`${(key as { source: string }).source}: a TLS key needs --tls-cert too`);
  if (key === undefined) throw new ConfigError(`${cert.source}: a TLS certificate needs --tls-key too`);
  const read = (p: { value: unknown; source: string }, what: string) => {
    if (typeof p.value !== 'string' || p.value === '') throw new ConfigError(`${p.source}: expected a file name`);
    const file = p.source.startsWith(`${configFile}:`)
      ? path.resolve(path.dirname(configFile as string), p.value)
      : p.value;
    try {
      return { file, text: readFile(file) };
    } catch (e) {
      throw new ConfigError(`${p.source}: cannot read ${what} file ${file} (${errorReason(e)})`);
    }
  };
  const c = read(cert, 'TLS certificate');
  const k = read(key, 'TLS key');
  return { cert: c.text, key: k.text, certFile: c.file, keyFile: k.file, required: required?.value ?? false };
}

/** A boolean setting: the flag (present = true), `true/false/1/0/on/off/yes/no` from the environment, a JSON boolean in the file. */
function pickBoolean(
  p: { value: unknown; source: string } | undefined,
): { value: boolean; source: string } | undefined {
  if (p === undefined) return undefined;
  if (typeof p.value === 'boolean') return { value: p.value, source: p.source };
  const t = typeof p.value === 'string' ? p.value.trim().toLowerCase() : '';
  if (['true', '1', 'on', 'yes'].includes(t)) return { value: true, source: p.source };
  if (['false', '0', 'off', 'no'].includes(t)) return { value: false, source: p.source };
  throw new ConfigError(`${p.source}: expected true or false`);
}

/**
 * Parses HOST:PORT, [IPv6]:PORT or :PORT (all interfaces' default host, 127.0.0.1). Port 0 asks
 * the system for a free port.
 */
export function parseHostPort(text: string, source = 'address'): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new ConfigError(`${source}: "${text}" is not an address of the form HOST:PORT (port 0-65535)`);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** HOST:PORT, bracketing IPv6 hosts. */
export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** `500ms`, `10s`, `2m`, or a bare number of seconds. */
export function parseDuration(text: string, source: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) throw new ConfigError(`${source}: "${text}" is not a duration (like 500ms, 10s, 2m)`);
  const unit = { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm'];
  return Math.round(Number(m[1]) * unit);
}

const FILE_KEYS = new Set<string>(Object.values(SETTINGS).map((s) => s.key));

function readConfigFile(file: string, readFile: (f: string) => string): Record<string, unknown> {
  let textContent: string;
  try {
    textContent = readFile(file);
  } catch (e) {
    throw new ConfigError(`config file ${file}: cannot read it (${errorReason(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(textContent);
  } catch (e) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file}: expected a JSON object`);
  }
  for (const k of Object.keys(parsed)) {
    if (!FILE_KEYS.has(k)) {
      throw new ConfigError(`config file ${file}: unknown key "${k}" (known: ${[...FILE_KEYS].join(', ')})`);
    }
  }
  return parsed as Record<string, unknown>;
}

function readUsersFile(file: string, source: string, readFile: (f: string) => string): Record<string, string> {
  let content: string;
  try {
    content = readFile(file);
  } catch (e) {
    throw new ConfigError(`${source}: cannot read users file ${file} (${errorReason(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (e) {
    throw new ConfigError(`${source}: users file ${file} is not valid JSON (${(e as Error).message})`);
  }
  return checkUsers(parsed, `${source}: users file ${file}`);
}

function checkUsers(value: unknown, source: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${source}: expected a JSON object {"user": "password or SCRAM verifier"}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || v === '') throw new ConfigError(`${source}: user "${k}" needs a non-empty password`);
  }
  return value as Record<string, string>;
}

function errorReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message ?? String(e);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
