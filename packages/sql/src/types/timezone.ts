/**
 * Time zones for timestamptz: the session's `TimeZone` setting and the zones written in input.
 *
 * A session time zone is spelled as PostgreSQL's `SET TIME ZONE` takes it: an IANA name
 * (`America/New_York`, resolved through the ICU data Node ships, so LMT and historical rules
 * match PostgreSQL's tz database), `UTC`/`GMT`/`Z`, or a POSIX-style fixed offset where a POSITIVE
 * number is WEST of Greenwich, as in PostgreSQL: `'+05:30'` and `'UTC+3'` mean UTC-05:30 and
 * UTC-03, and `'<-07>+07'` is UTC-07. Offsets are in seconds EAST of UTC throughout this module.
 */
import { sqlError } from './errors.js';

export interface TimeZone {
  /** The name as given. */
  readonly name: string;
  /** The UTC offset (seconds east) in force at a UTC instant given in seconds since 1970. */
  offsetAt(unixSeconds: number): number;
  /** Fixed-offset zones know their offset without an instant. */
  readonly fixedOffset?: number;
}

export function fixedZone(offsetSeconds: number, name = formatOffset(offsetSeconds)): TimeZone {
  return { name, fixedOffset: offsetSeconds, offsetAt: () => offsetSeconds };
}

export const UTC: TimeZone = fixedZone(0, 'UTC');

/** `+05`, `-04:56:02`, `+05:30`: PostgreSQL's offset suffix in timestamptz output. */
export function formatOffset(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const a = Math.abs(offsetSeconds);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  let out = `${sign}${String(h).padStart(2, '0')}`;
  if (m !== 0 || s !== 0) out += `:${String(m).padStart(2, '0')}`;
  if (s !== 0) out += `:${String(s).padStart(2, '0')}`;
  return out;
}

// JavaScript Dates cover ±8.64e15 ms; instants beyond are looked up at the nearest edge.
const MAX_JS_SECONDS = 8.64e12 - 86400 * 2;

class IanaZone implements TimeZone {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();

  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(unixSeconds: number): number {
    const t = Math.max(-MAX_JS_SECONDS, Math.min(MAX_JS_SECONDS, Math.floor(unixSeconds)));
    const hit = this.cache.get(t);
    if (hit !== undefined) return hit;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const p of this.fmt.formatToParts(new Date(t * 1000))) {
      switch (p.type) {
        case 'year':
          year = Number(p.value);
          break;
        case 'month':
          month = Number(p.value);
          break;
        case 'day':
          day = Number(p.value);
          break;
        case 'hour':
          hour = Number(p.value);
          break;
        case 'minute':
          minute = Number(p.value);
          break;
        case 'second':
          second = Number(p.value);
          break;
        case 'era':
          bc = p.value.startsWith('B');
          break;
      }
    }
    const d = new Date(0);
    d.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
    d.setUTCHours(hour, minute, second, 0);
    const offset = Math.round(d.getTime() / 1000 - t);
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(t, offset);
    return offset;
  }
}

const zoneCache = new Map<string, TimeZone>();

/**
 * The session time zone named as `SET TIME ZONE` names it (see the module comment); throws
 * 22023 `invalid value for parameter "TimeZone"` for names it cannot resolve.
 */
export function resolveSessionTimeZone(name: string): TimeZone {
  const cached = zoneCache.get(name);
  if (cached) return cached;
  const zone = lookupSessionZone(name);
  if (!zone) throw sqlError('INVALID_PARAMETER_VALUE', `invalid value for parameter "TimeZone": "${name}"`);
  zoneCache.set(name, zone);
  return zone;
}

function lookupSessionZone(name: string): TimeZone | undefined {
  const n = name.trim();
  const lower = n.toLowerCase();
  if (lower === 'utc' || lower === 'gmt' || lower === 'z' || lower === 'etc/utc' || lower === 'zulu') {
    return fixedZone(0, n);
  }
  // POSIX "STDoffset" with a positive offset west: "+05:30", "-7", "UTC+3", "<-07>+07".
  const posix = /^(?:<[^>]*>|[a-z]{3,})?([+-]?)(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?$/i.exec(n);
  if (posix) {
    const secs = Number(posix[2]) * 3600 + Number(posix[3] ?? 0) * 60 + Number(posix[4] ?? 0);
    return fixedZone(posix[1] === '-' ? secs : -secs, n);
  }
  return ianaZone(n);
}

function ianaZone(name: string): TimeZone | undefined {
  try {
    return new IanaZone(name);
  } catch {
    return undefined;
  }
}

/**
 * The time zone abbreviations PostgreSQL's default `timezone_abbreviations` set maps to fixed
 * offsets (a subset: the common North American, European and Asia-Pacific ones).
 */
const ABBREVIATIONS: Record<string, number> = {
  utc: 0,
  gmt: 0,
  ut: 0,
  z: 0,
  zulu: 0,
  wet: 0,
  west: 3600,
  bst: 3600,
  cet: 3600,
  cest: 7200,
  met: 3600,
  mest: 7200,
  eet: 7200,
  eest: 10800,
  msk: 10800,
  ist: 7200,
  jst: 32400,
  kst: 32400,
  hkt: 28800,
  sgt: 28800,
  awst: 28800,
  acst: 34200,
  acdt: 37800,
  aest: 36000,
  aedt: 39600,
  nzst: 43200,
  nzdt: 46800,
  est: -18000,
  edt: -14400,
  cst: -21600,
  cdt: -18000,
  mst: -25200,
  mdt: -21600,
  pst: -28800,
  pdt: -25200,
  akst: -32400,
  akdt: -28800,
  hst: -36000,
  ast: -14400,
  adt: -10800,
  nst: -12600,
  ndt: -9000,
};

/**
 * A time zone written in date/time input: a known abbreviation (fixed offset), an ISO-signed
 * numeric offset (`+02`, `-0530`, `+05:30`, positive EAST), or an IANA name. Undefined if the
 * word is none of these.
 */
export function resolveInputZone(word: string): TimeZone | undefined {
  const lower = word.toLowerCase();
  const abbr = ABBREVIATIONS[lower];
  if (abbr !== undefined) return fixedZone(abbr, word);
  const m = /^([+-])(\d{1,2})(?::?(\d{2})(?::?(\d{2}))?)?$/.exec(word);
  if (m) {
    const h = Number(m[2]);
    const mi = Number(m[3] ?? 0);
    const s = Number(m[4] ?? 0);
    if (h > 15 || mi > 59 || s > 59) return undefined;
    const secs = h * 3600 + mi * 60 + s;
    return fixedZone(m[1] === '-' ? -secs : secs, word);
  }
  if (!/^[a-z_]+(?:\/[a-z0-9_+-]+)+$/i.test(word)) return undefined;
  const cached = zoneCache.get(word);
  if (cached) return cached;
  const z = ianaZone(word);
  if (z) zoneCache.set(word, z);
  return z;
}

/**
 * The UTC offset that applies to a LOCAL wall-clock time (seconds since 1970 as if it were UTC),
 * chosen as PostgreSQL's DetermineTimeZoneOffset chooses: in a spring-forward gap the offset
 * before the transition, in a fall-back overlap the offset after it.
 */
export function offsetForLocal(zone: TimeZone, localSeconds: number): number {
  if (zone.fixedOffset !== undefined) return zone.fixedOffset;
  const before = zone.offsetAt(localSeconds - 86400);
  const after = zone.offsetAt(localSeconds + 86400);
  if (before === after) {
    const o = zone.offsetAt(localSeconds - before);
    if (o === before) return o;
    // A transition and back within two days: trust the instant's own offset.
    return zone.offsetAt(localSeconds - o) === o ? o : before;
  }
  const tBefore = localSeconds - before;
  const tAfter = localSeconds - after;
  const beforeValid = zone.offsetAt(tBefore) === before;
  const afterValid = zone.offsetAt(tAfter) === after;
  if (beforeValid && !afterValid) return before;
  if (afterValid && !beforeValid) return after;
  return tBefore > tAfter ? before : after;
}
