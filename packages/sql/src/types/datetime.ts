/**
 * date, timestamp and timestamptz: calendar arithmetic, text input and output (DateStyle = ISO,
 * MDY), conversions between them, and their arithmetic with integers and intervals.
 *
 * Representation (PostgreSQL's own):
 * - date: a number, days since 2000-01-01; `-Infinity` / `Infinity` are `-infinity` / `infinity`.
 * - timestamp, timestamptz: a bigint, microseconds since 2000-01-01 00:00:00 (UTC for
 *   timestamptz); `-infinity` / `infinity` are {@link TIMESTAMP_NEG_INFINITY} (-2^63) and
 *   {@link TIMESTAMP_INFINITY} (2^63 - 1), PostgreSQL's DT_NOBEGIN / DT_NOEND.
 *
 * The proleptic Gregorian calendar is used throughout, with astronomical year numbering inside
 * (year 0 is 1 BC); ranges are PostgreSQL's: dates 4714-11-24 BC .. 5874897-12-31, timestamps
 * 4714-11-24 00:00:00 BC .. 294276-12-31 23:59:59.999999.
 */
import { sqlError } from './errors.js';
import { type Interval, rint, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC } from './interval.js';
import { formatOffset, offsetForLocal, resolveInputZone, resolveSessionTimeZone, type TimeZone } from './timezone.js';

/** Session settings the date/time functions need. */
export interface TypeContext {
  /** The session's TimeZone setting (`UTC`, `America/New_York`, `+05:30` in POSIX sign...). */
  readonly timeZone: string;
  /** The transaction timestamp (timestamptz: µs since 2000-01-01 UTC), for `now`, `today`... */
  readonly now?: bigint;
}

export const DEFAULT_CONTEXT: TypeContext = { timeZone: 'UTC' };

export const TIMESTAMP_NEG_INFINITY = -(2n ** 63n);
export const TIMESTAMP_INFINITY = 2n ** 63n - 1n;
export const DATE_NEG_INFINITY = Number.NEGATIVE_INFINITY;
export const DATE_INFINITY = Number.POSITIVE_INFINITY;

/** Days from 1970-01-01 to 2000-01-01. */
const UNIX_TO_PG_DAYS = 10957;
/** 4714-11-24 BC, Julian day 0. */
export const DATE_MIN = -2451545;
/** 5874897-12-31. */
export const DATE_MAX = 2145031948;
/** 4714-11-24 00:00:00 BC. */
export const TIMESTAMP_MIN = -211813488000000000n;
/** 294277-01-01 00:00:00 (exclusive). */
export const TIMESTAMP_END = 9223371331200000000n;

export function isFiniteTimestamp(t: bigint): boolean {
  return t !== TIMESTAMP_INFINITY && t !== TIMESTAMP_NEG_INFINITY;
}

// --- calendar -------------------------------------------------------------------------------

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Days since 2000-01-01 of a proleptic Gregorian date (astronomical year: 0 = 1 BC). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468 - UNIX_TO_PG_DAYS;
}

/** The [year, month, day] (astronomical year) of a day count since 2000-01-01. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + UNIX_TO_PG_DAYS + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}

/** Splits µs into [days, µs within the day] with a non-negative time of day. */
function splitTimestamp(t: bigint): [number, bigint] {
  let days = t / USECS_PER_DAY;
  let tod = t % USECS_PER_DAY;
  if (tod < 0n) {
    tod += USECS_PER_DAY;
    days -= 1n;
  }
  return [Number(days), tod];
}

function timestampOutOfRange(): Error {
  return sqlError('DATETIME_FIELD_OVERFLOW', 'timestamp out of range');
}

function dateOutOfRange(): Error {
  return sqlError('DATETIME_FIELD_OVERFLOW', 'date out of range');
}

/** Fails with `timestamp out of range` outside PostgreSQL's timestamp range (infinities pass). */
export function checkTimestamp(t: bigint): bigint {
  if (!isFiniteTimestamp(t)) return t;
  if (t < TIMESTAMP_MIN || t >= TIMESTAMP_END) throw timestampOutOfRange();
  return t;
}

export function checkDate(d: number): number {
  if (!Number.isFinite(d)) return d;
  if (d < DATE_MIN || d > DATE_MAX) throw dateOutOfRange();
  return d;
}

// --- time zones -----------------------------------------------------------------------------

export function sessionZone(ctx: TypeContext): TimeZone {
  return resolveSessionTimeZone(ctx.timeZone);
}

/** The offset (seconds east) of a zone at a UTC instant given as µs since 2000-01-01. */
export function zoneOffsetAt(zone: TimeZone, utc: bigint): number {
  return zone.offsetAt(Number(utc / USECS_PER_SEC) + UNIX_TO_PG_DAYS * 86400);
}

/** A local wall-clock timestamp (µs since 2000) → the UTC instant, by PostgreSQL's DST rules. */
export function localToUtc(local: bigint, zone: TimeZone): bigint {
  if (!isFiniteTimestamp(local)) return local;
  const offset = offsetForLocal(zone, Number(local / USECS_PER_SEC) + UNIX_TO_PG_DAYS * 86400);
  return local - BigInt(offset) * USECS_PER_SEC;
}

export function utcToLocal(utc: bigint, zone: TimeZone): bigint {
  if (!isFiniteTimestamp(utc)) return utc;
  return utc + BigInt(zoneOffsetAt(zone, utc)) * USECS_PER_SEC;
}

// --- output ---------------------------------------------------------------------------------

function formatYmd(y: number, m: number, d: number): [string, boolean] {
  const bc = y <= 0;
  const year = bc ? 1 - y : y;
  return [`${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, bc];
}

/** date_out (ISO): `2024-01-02`, `0044-03-15 BC`, `infinity`, `-infinity`. */
export function formatDate(days: number): string {
  if (days === DATE_INFINITY) return 'infinity';
  if (days === DATE_NEG_INFINITY) return '-infinity';
  const [s, bc] = formatYmd(...civilFromDays(days));
  return bc ? `${s} BC` : s;
}

function formatTime(tod: bigint): string {
  const h = tod / USECS_PER_HOUR;
  const mi = (tod % USECS_PER_HOUR) / USECS_PER_MINUTE;
  const s = (tod % USECS_PER_MINUTE) / USECS_PER_SEC;
  const frac = tod % USECS_PER_SEC;
  let out = `${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  if (frac !== 0n) out += `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  return out;
}

/** timestamp_out (ISO): `2024-01-02 03:04:05.123456`, fraction trimmed, ` BC` appended. */
export function formatTimestamp(t: bigint): string {
  if (t === TIMESTAMP_INFINITY) return 'infinity';
  if (t === TIMESTAMP_NEG_INFINITY) return '-infinity';
  const [days, tod] = splitTimestamp(t);
  const [date, bc] = formatYmd(...civilFromDays(days));
  return `${date} ${formatTime(tod)}${bc ? ' BC' : ''}`;
}

/** timestamptz_out in the session time zone: `2024-01-02 03:04:05+00`, `...-04:56:02 BC`. */
export function formatTimestamptz(t: bigint, ctx: TypeContext): string {
  if (!isFiniteTimestamp(t)) return formatTimestamp(t);
  const zone = sessionZone(ctx);
  const offset = zoneOffsetAt(zone, t);
  const [days, tod] = splitTimestamp(t + BigInt(offset) * USECS_PER_SEC);
  const [date, bc] = formatYmd(...civilFromDays(days));
  return `${date} ${formatTime(tod)}${formatOffset(offset)}${bc ? ' BC' : ''}`;
}

// --- input ----------------------------------------------------------------------------------

const MONTHS: Record<string, number> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

const WEEKDAYS = new Set([
  'sun',
  'sunday',
  'mon',
  'monday',
  'tue',
  'tues',
  'tuesday',
  'wed',
  'wednesday',
  'thu',
  'thur',
  'thurs',
  'thursday',
  'fri',
  'friday',
  'sat',
  'saturday',
]);

type Special = 'infinity' | '-infinity' | 'epoch' | 'now' | 'today' | 'tomorrow' | 'yesterday';

interface Fields {
  year?: number;
  yearDigits?: number;
  month?: number;
  day?: number;
  bc: boolean;
  hour: number;
  minute: number;
  micros: bigint; // seconds and fraction, in µs
  hasTime: boolean;
  ampm?: 'am' | 'pm';
  zone?: TimeZone;
  special?: Special;
}

class BadFormat extends Error {}
class FieldRange extends Error {}
class OutOfRange extends Error {}

const TIME_TOKEN = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?(z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?$/;

/** Fractional seconds as PostgreSQL reads them: a double, rint'ed to microseconds. */
function fracMicros(digits: string): bigint {
  if (digits === '') return 0n;
  return BigInt(rint(Number(`0.${digits}`) * 1e6));
}

function setYear(f: Fields, token: string): void {
  if (f.year !== undefined) throw new BadFormat();
  f.year = Number(token);
  f.yearDigits = token.length;
}

function parseDateToken(f: Fields, parts: string[]): void {
  const [a = '', b = '', c = ''] = parts;
  const month = (s: string) => MONTHS[s];
  if (f.month !== undefined || f.day !== undefined) throw new BadFormat();
  if (month(b) !== undefined && /^\d+$/.test(a) && /^\d+$/.test(c)) {
    f.month = month(b);
    if (a.length >= 3 || Number(a) > 31) {
      setYear(f, a);
      f.day = Number(c);
    } else {
      f.day = Number(a);
      setYear(f, c);
    }
    return;
  }
  if (month(a) !== undefined && /^\d+$/.test(b) && /^\d+$/.test(c)) {
    f.month = month(a);
    f.day = Number(b);
    setYear(f, c);
    return;
  }
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b) || !/^\d+$/.test(c)) throw new BadFormat();
  if (a.length >= 3 || Number(a) > 31) {
    setYear(f, a);
    f.month = Number(b);
    f.day = Number(c);
  } else {
    // DateStyle MDY.
    f.month = Number(a);
    f.day = Number(b);
    setYear(f, c);
  }
}

function tokenize(text: string): Fields {
  const f: Fields = { bc: false, hour: 0, minute: 0, micros: 0n, hasTime: false };
  let s = text.trim().toLowerCase();
  s = s.replace(/(\d)t(\d)/, '$1 $2').replace(/,/g, ' ');
  const tokens = s.split(/\s+/).filter((x) => x !== '');
  if (tokens.length === 0) throw new BadFormat();
  if (tokens.length === 1) {
    const w = tokens[0] ?? '';
    const special: Record<string, Special> = {
      infinity: 'infinity',
      '-infinity': '-infinity',
      epoch: 'epoch',
      now: 'now',
      today: 'today',
      tomorrow: 'tomorrow',
      yesterday: 'yesterday',
    };
    const sp = special[w];
    if (sp !== undefined) {
      f.special = sp;
      return f;
    }
  }
  for (const tok of tokens) {
    const time = TIME_TOKEN.exec(tok);
    if (time) {
      if (f.hasTime) throw new BadFormat();
      f.hasTime = true;
      f.hour = Number(time[1]);
      f.minute = Number(time[2]);
      const sec = Number(time[3] ?? 0);
      if (f.minute > 59 || sec > 60) throw new FieldRange();
      f.micros = BigInt(sec) * USECS_PER_SEC + fracMicros(time[4] ?? '');
      if (time[5] !== undefined) setZone(f, time[5]);
      continue;
    }
    const date = /^([0-9a-z]+)([-/.])([0-9a-z]+)\2([0-9a-z]+)$/.exec(tok);
    if (date) {
      parseDateToken(f, [date[1] ?? '', date[3] ?? '', date[4] ?? '']);
      continue;
    }
    if (/^\d{8}$/.test(tok) && f.month === undefined) {
      setYear(f, tok.slice(0, 4));
      f.month = Number(tok.slice(4, 6));
      f.day = Number(tok.slice(6, 8));
      continue;
    }
    if (/^\d{6}$/.test(tok) && f.month === undefined) {
      setYear(f, tok.slice(0, 2));
      f.month = Number(tok.slice(2, 4));
      f.day = Number(tok.slice(4, 6));
      continue;
    }
    if (/^\d+$/.test(tok)) {
      if (f.day === undefined && f.month !== undefined && tok.length <= 2 && f.year === undefined) {
        f.day = Number(tok);
      } else if (f.day === undefined && f.month === undefined && tok.length <= 2) {
        f.day = Number(tok);
      } else if (f.year === undefined) {
        setYear(f, tok);
      } else if (f.day === undefined) {
        f.day = Number(tok);
      } else throw new BadFormat();
      continue;
    }
    const month = MONTHS[tok];
    if (month !== undefined) {
      if (f.month !== undefined) throw new BadFormat();
      f.month = month;
      continue;
    }
    if (WEEKDAYS.has(tok)) continue;
    if (tok === 'bc' || tok === 'ad') {
      f.bc = tok === 'bc';
      continue;
    }
    if (tok === 'am' || tok === 'pm') {
      f.ampm = tok;
      continue;
    }
    setZone(f, tok);
  }
  return f;
}

function setZone(f: Fields, word: string): void {
  if (f.zone !== undefined) throw new BadFormat();
  const z = resolveInputZone(word);
  if (!z) throw new BadFormat();
  f.zone = z;
}

interface Resolved {
  /** Local date-time, µs since 2000-01-01. */
  local: bigint;
  zone?: TimeZone;
}

function resolveFields(f: Fields): Resolved {
  if (f.year === undefined || f.month === undefined || f.day === undefined) throw new BadFormat();
  let year = f.year;
  if (f.yearDigits !== undefined && f.yearDigits <= 2 && !f.bc) year += year < 70 ? 2000 : 1900;
  if (year === 0 && f.yearDigits !== undefined && f.yearDigits > 2) throw new FieldRange();
  if (f.bc) {
    if (year <= 0) throw new FieldRange();
    year = 1 - year;
  }
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(year, f.month)) throw new FieldRange();
  let hour = f.hour;
  if (f.ampm !== undefined) {
    if (hour < 1 || hour > 12) throw new FieldRange();
    if (f.ampm === 'am' && hour === 12) hour = 0;
    else if (f.ampm === 'pm' && hour !== 12) hour += 12;
  }
  if (hour > 24 || (hour === 24 && (f.minute !== 0 || f.micros !== 0n))) throw new FieldRange();
  // Julian-day range check (PostgreSQL refuses dates before 4714-11-24 BC before anything else).
  if (year < -4713 || (year === -4713 && (f.month < 11 || (f.month === 11 && f.day < 24)))) {
    throw new OutOfRange();
  }
  if (year > 5874897) throw new OutOfRange();
  const days = daysFromCivil(year, f.month, f.day);
  const local =
    BigInt(days) * USECS_PER_DAY + BigInt(hour) * USECS_PER_HOUR + BigInt(f.minute) * USECS_PER_MINUTE + f.micros;
  return f.zone === undefined ? { local } : { local, zone: f.zone };
}

type Target = 'date' | 'timestamp' | 'timestamp with time zone';

function wrapErrors<T>(target: Target, text: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BadFormat) {
      throw sqlError('INVALID_DATETIME_FORMAT', `invalid input syntax for type ${target}: "${text}"`);
    }
    if (e instanceof FieldRange) {
      throw sqlError('DATETIME_FIELD_OVERFLOW', `date/time field value out of range: "${text}"`);
    }
    if (e instanceof OutOfRange) {
      throw sqlError('DATETIME_FIELD_OVERFLOW', `${target === 'date' ? 'date' : 'timestamp'} out of range: "${text}"`);
    }
    throw e;
  }
}

function requireNow(ctx: TypeContext): bigint {
  if (ctx.now === undefined) {
    throw sqlError('OBJECT_NOT_IN_PREREQUISITE_STATE', 'the current time is not available in this context');
  }
  return ctx.now;
}

/** The local midnight (µs since 2000, session zone) of today + `offsetDays`. */
function localDayStart(ctx: TypeContext, offsetDays: number): bigint {
  const local = utcToLocal(requireNow(ctx), sessionZone(ctx));
  const [days] = splitTimestamp(local);
  return BigInt(days + offsetDays) * USECS_PER_DAY;
}

/** A special word as a LOCAL timestamp (for `now`: the session-local time of `ctx.now`). */
function specialLocal(sp: Special, ctx: TypeContext): bigint {
  switch (sp) {
    case 'infinity':
      return TIMESTAMP_INFINITY;
    case '-infinity':
      return TIMESTAMP_NEG_INFINITY;
    case 'epoch':
      return -BigInt(UNIX_TO_PG_DAYS) * USECS_PER_DAY;
    case 'now':
      return utcToLocal(requireNow(ctx), sessionZone(ctx));
    case 'today':
      return localDayStart(ctx, 0);
    case 'tomorrow':
      return localDayStart(ctx, 1);
    case 'yesterday':
      return localDayStart(ctx, -1);
  }
}

/**
 * date_in (DateStyle ISO, MDY): ISO `2024-01-02`, `01/02/2024`, `1/2/24`, `Jan 8 1999`,
 * `8 January 1999`, `1999-Jan-08`, `19990108`, a trailing `BC`, a time part (ignored),
 * `infinity`, `-infinity`, `epoch`, and `today`/`now`/`tomorrow`/`yesterday` from `ctx.now`.
 */
export function parseDate(text: string, ctx: TypeContext): number {
  return wrapErrors('date', text, () => {
    const f = tokenize(text);
    if (f.special === 'infinity') return DATE_INFINITY;
    if (f.special === '-infinity') return DATE_NEG_INFINITY;
    if (f.special !== undefined) return splitTimestamp(specialLocal(f.special, ctx))[0];
    const { local } = resolveFields(f);
    const [days] = splitTimestamp(local);
    if (days < DATE_MIN || days > DATE_MAX) throw new OutOfRange();
    return days;
  });
}

/** timestamp_in: a date, an optional time (`T` or space), fraction, AM/PM; a zone is ignored. */
export function parseTimestamp(text: string, ctx: TypeContext): bigint {
  return wrapErrors('timestamp', text, () => {
    const f = tokenize(text);
    if (f.special !== undefined) return specialLocal(f.special, ctx);
    const { local } = resolveFields(f);
    if (local < TIMESTAMP_MIN || local >= TIMESTAMP_END) throw new OutOfRange();
    return local;
  });
}

/**
 * timestamptz_in: as timestamp, with the zone given in the text (`Z`, `+02`, `-05:30`, `UTC`,
 * `EST`, `Europe/Paris`) or else the session zone.
 */
export function parseTimestamptz(text: string, ctx: TypeContext): bigint {
  return wrapErrors('timestamp with time zone', text, () => {
    const f = tokenize(text);
    if (f.special === 'now') return requireNow(ctx);
    if (f.special === 'epoch') return specialLocal('epoch', ctx);
    if (f.special !== undefined) return localToUtc(specialLocal(f.special, ctx), sessionZone(ctx));
    const { local, zone } = resolveFields(f);
    const t = localToUtc(local, zone ?? sessionZone(ctx));
    if (t < TIMESTAMP_MIN || t >= TIMESTAMP_END) throw new OutOfRange();
    return t;
  });
}

/** timestamp(p): rounds to p fractional digits, half away from zero (AdjustTimestampForTypmod). */
export function roundTimestampPrecision(t: bigint, precision: number): bigint {
  if (!isFiniteTimestamp(t) || precision >= 6) return t;
  const unit = 10n ** BigInt(6 - precision);
  const half = unit / 2n;
  return checkTimestamp(t >= 0n ? ((t + half) / unit) * unit : -(((-t + half) / unit) * unit));
}

// --- conversions ----------------------------------------------------------------------------

/** date → timestamp (midnight); `date out of range for timestamp` beyond timestamp's range. */
export function dateToTimestamp(d: number): bigint {
  if (d === DATE_INFINITY) return TIMESTAMP_INFINITY;
  if (d === DATE_NEG_INFINITY) return TIMESTAMP_NEG_INFINITY;
  const t = BigInt(d) * USECS_PER_DAY;
  if (t < TIMESTAMP_MIN || t >= TIMESTAMP_END) {
    throw sqlError('DATETIME_FIELD_OVERFLOW', 'date out of range for timestamp');
  }
  return t;
}

/** date → timestamptz: local midnight in the session zone. */
export function dateToTimestamptz(d: number, ctx: TypeContext): bigint {
  return checkTimestamp(localToUtc(dateToTimestamp(d), sessionZone(ctx)));
}

/** timestamp → date: the date part (floor). */
export function timestampToDate(t: bigint): number {
  if (t === TIMESTAMP_INFINITY) return DATE_INFINITY;
  if (t === TIMESTAMP_NEG_INFINITY) return DATE_NEG_INFINITY;
  return splitTimestamp(t)[0];
}

/** timestamptz → date: the date in the session zone. */
export function timestamptzToDate(t: bigint, ctx: TypeContext): number {
  return timestampToDate(utcToLocal(t, sessionZone(ctx)));
}

/** timestamp → timestamptz: the local time read in the session zone. */
export function timestampToTimestamptz(t: bigint, ctx: TypeContext): bigint {
  return checkTimestamp(localToUtc(t, sessionZone(ctx)));
}

/** timestamptz → timestamp: the session zone's wall-clock time. */
export function timestamptzToTimestamp(t: bigint, ctx: TypeContext): bigint {
  return checkTimestamp(utcToLocal(t, sessionZone(ctx)));
}

// --- arithmetic -----------------------------------------------------------------------------

/** date + integer days (date_pli); `date out of range`. */
export function dateAddDays(d: number, n: number): number {
  if (!Number.isFinite(d)) return d;
  const r = d + n;
  if (r < DATE_MIN || r > DATE_MAX) throw dateOutOfRange();
  return r;
}

/** date - date → integer days; infinite dates cannot be subtracted. */
export function dateDiff(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    throw sqlError('DATETIME_FIELD_OVERFLOW', 'cannot subtract infinite dates');
  }
  return a - b;
}

/** Adds months to a local timestamp, clamping the day to the month's length ('01-31' + 1 mon → '02-29'). */
function addMonthsLocal(local: bigint, months: number): bigint {
  if (months === 0) return local;
  const [days, tod] = splitTimestamp(local);
  const [y, m, d] = civilFromDays(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  if (ny < -4713 || ny > 294277) throw timestampOutOfRange();
  const nd = Math.min(d, daysInMonth(ny, nm));
  return BigInt(daysFromCivil(ny, nm, nd)) * USECS_PER_DAY + tod;
}

/** timestamp + interval: months (day clamped), then days, then the time. */
export function timestampAddInterval(t: bigint, v: Interval): bigint {
  if (!isFiniteTimestamp(t)) return t;
  let r = addMonthsLocal(t, v.months);
  r += BigInt(v.days) * USECS_PER_DAY;
  r += v.micros;
  return checkTimestamp(r);
}

/**
 * timestamptz + interval: months and days move the wall-clock time in the session zone (so
 * `+ '1 day'` keeps the local time across a DST change), then the microseconds move the instant.
 */
export function timestamptzAddInterval(t: bigint, v: Interval, ctx: TypeContext): bigint {
  if (!isFiniteTimestamp(t)) return t;
  let r = t;
  if (v.months !== 0 || v.days !== 0) {
    const zone = sessionZone(ctx);
    let local = utcToLocal(r, zone);
    local = addMonthsLocal(local, v.months) + BigInt(v.days) * USECS_PER_DAY;
    r = localToUtc(checkTimestamp(local), zone);
  }
  return checkTimestamp(r + v.micros);
}

export function negate(v: Interval): Interval {
  return { months: -v.months || 0, days: -v.days || 0, micros: -v.micros };
}

/**
 * timestamp - timestamp: an interval of days and time (no months), as PostgreSQL's timestamp_mi
 * then justify_hours give it.
 */
export function timestampDiff(a: bigint, b: bigint): Interval {
  if (!isFiniteTimestamp(a) || !isFiniteTimestamp(b)) {
    throw sqlError('DATETIME_FIELD_OVERFLOW', 'cannot subtract infinite timestamps');
  }
  const diff = a - b;
  const days = diff / USECS_PER_DAY;
  return { months: 0, days: Number(days) || 0, micros: diff % USECS_PER_DAY };
}

/** The current transaction time as PostgreSQL's `now()` would be (timestamptz). */
export function currentTimestamp(ctx: TypeContext): bigint {
  return requireNow(ctx);
}
