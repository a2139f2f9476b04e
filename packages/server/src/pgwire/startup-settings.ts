/**
 * The session settings of the startup phase: which StartupMessage parameters become SET
 * statements, and which settings PostgreSQL reports to the client with ParameterStatus.
 */

/** ParameterStatus names PostgreSQL reports, and the session setting each comes from. */
export const REPORTED: readonly (readonly [string, string])[] = [
  ['server_version', 'server_version'],
  ['server_encoding', 'server_encoding'],
  ['client_encoding', 'client_encoding'],
  ['DateStyle', 'datestyle'],
  ['TimeZone', 'timezone'],
  ['integer_datetimes', 'integer_datetimes'],
  ['standard_conforming_strings', 'standard_conforming_strings'],
  ['IntervalStyle', 'intervalstyle'],
  ['application_name', 'application_name'],
];

/** Startup parameters that are not settings. */
const NOT_SETTINGS = new Set(['user', 'database', 'replication', 'options']);

/** `-c name=value` and `--name=value` pairs of the startup `options` parameter (backslash escapes a space). */
export function parseOptions(options: string): [string, string][] {
  const words = options.match(/(?:\\.|[^\s\\])+/g) ?? [];
  const unescaped = words.map((w) => w.replace(/\\(.)/g, '$1'));
  const pairs: [string, string][] = [];
  for (let i = 0; i < unescaped.length; i++) {
    let w = unescaped[i] as string;
    if (w === '-c') w = unescaped[++i] ?? '';
    else if (w.startsWith('-c')) w = w.slice(2);
    else if (w.startsWith('--')) w = w.slice(2);
    else continue;
    const eq = w.indexOf('=');
    if (eq > 0) pairs.push([w.slice(0, eq).replaceAll('-', '_'), w.slice(eq + 1)]);
  }
  return pairs;
}

/**
 * The settings a StartupMessage asks for, in order: its other parameters, then `options`.
 * client_encoding must be UTF8: ThinkLite converts nothing. libpq asks for SQL_ASCII in a C
 * locale, which PostgreSQL does not convert either, so that is taken as UTF8 too. Throws for
 * any other encoding.
 */
export function startupSettings(params: ReadonlyMap<string, string>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of params) if (!NOT_SETTINGS.has(name)) out.push([name.toLowerCase(), value]);
  const options = params.get('options');
  if (options) out.push(...parseOptions(options).map(([n, v]): [string, string] => [n.toLowerCase(), v]));
  return out.map(([name, value]) => {
    if (name !== 'client_encoding') return [name, value];
    const enc = value.toUpperCase().replace(/[-_]/g, '');
    if (enc !== 'UTF8' && enc !== 'UNICODE' && enc !== 'SQLASCII' && enc !== 'AUTO') {
      throw new Error(`client_encoding "${value}" is not supported: ThinkLite speaks UTF8 only`);
    }
    return [name, 'UTF8'];
  });
}

/** The SET statement for one setting, name and value quoted. */
export function setStatement(name: string, value: string): string {
  return `SET "${name.replaceAll('"', '""')}" TO '${value.replaceAll("'", "''")}'`;
}
