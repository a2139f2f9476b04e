/** Date/time functions (PostgreSQL 15 §9.9). */
import {
  checkDate,
  checkTimestamp,
  civilFromDays,
  DATE_INFINITY,
  DATE_NEG_INFINITY,
  daysFromCivil,
  daysInMonth,
  isFiniteTimestamp,
  localToUtc,
  sessionZone,
  TIMESTAMP_INFINITY,
  TIMESTAMP_NEG_INFINITY,
  type TypeContext,
  utcToLocal,
  zoneOffsetAt,
} from '../types/datetime.js';
import type { Datum } from '../types/datum.js';
import {
  formatInterval,
  type Interval,
  justifyDays,
  justifyHours,
  justifyInterval,
  rint,
  USECS_PER_DAY,
  USECS_PER_HOUR,
  USECS_PER_MINUTE,
  USECS_PER_SEC,
} from '../types/interval.js';
import { Numeric } from '../types/numeric.js';
import { resolveInputZone, resolveSessionTimeZone, type TimeZone } from '../types/timezone.js';
import type { SessionFields } from './registry.js';
import { defineFunction } from './registry.js';
import { big, num, sqlErr, str } from './util.js';

/** µs from 1970-01-01 to 2000-01-01. */
const UNIX_EPOCH_US = 946684800000000n;
const UNIX_EPOCH_DAYS = 10957;
/** Julian day number of 2000-01-01. */
const JULIAN_2000 = 2451545;

/** The current time as a timestamptz. */
export function wallClock(): bigint {
  return BigInt(Date.now()) * 1000n - UNIX_EPOCH_US;
}

function transactionNow(ctx: TypeContext): bigint {
  return ctx.now ?? wallClock();
}

/** Splits µs into [days, µs within the day], the time of day non-negative. */
export function splitTs(t: bigint): [number, bigint] {
  let days = t / USECS_PER_DAY;
  let tod = t % USECS_PER_DAY;
  if (tod < 0n) {
    tod += USECS_PER_DAY;
    days -= 1n;
  }
  return [Number(days), tod];
}

/** Broken-down local time (astronomical year: 0 = 1 BC). */
export interface Tm {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Fractional second in µs. */
  readonly fsec: number;
  /** Days since 2000-01-01. */
  readonly days: number;
}

export function toTm(local: bigint): Tm {
  const [days, tod] = splitTs(local);
  const [year, month, day] = civilFromDays(days);
  const secs = Number(tod / USECS_PER_SEC);
  return {
    year,
    month,
    day,
    hour: Math.floor(secs / 3600),
    minute: Math.floor((secs % 3600) / 60),
    second: secs % 60,
    fsec: Number(tod % USECS_PER_SEC),
    days,
  };
}

/** ISO 8601 week number and ISO year of a date (days since 2000-01-01). */
export function isoWeek(days: number): [number, number] {
  const dow = isoDow(days); // 1 = Monday
  const thursday = days - dow + 4;
  const [y] = civilFromDays(thursday);
  const jan1 = daysFromCivil(y, 1, 1);
  return [Math.floor((thursday - jan1) / 7) + 1, y];
}

/** 0 = Sunday. */
export function dow(days: number): number {
  // 2000-01-01 was a Saturday.
  return (((days + 6) % 7) + 7) % 7;
}

export function isoDow(days: number): number {
  const d = dow(days);
  return d === 0 ? 7 : d;
}

export function dayOfYear(tm: Tm): number {
  return tm.days - daysFromCivil(tm.year, 1, 1) + 1;
}

// --- units ------------------------------------------------------------------------------------

type Unit =
  | 'microseconds'
  | 'milliseconds'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'quarter'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium'
  | 'dow'
  | 'isodow'
  | 'doy'
  | 'isoyear'
  | 'epoch'
  | 'julian'
  | 'timezone'
  | 'timezone_hour'
  | 'timezone_minute';

const UNIT_NAMES: Record<string, Unit> = {};
const addUnit = (unit: Unit, ...names: string[]) => {
  for (const n of [unit, ...names]) UNIT_NAMES[n] = unit;
};
addUnit('microseconds', 'microsecond', 'microsecon', 'us', 'usec', 'usecs', 'useconds');
addUnit('milliseconds', 'millisecond', 'millisecon', 'ms', 'msec', 'msecs', 'mseconds');
addUnit('second', 'seconds', 's', 'sec', 'secs');
addUnit('minute', 'minutes', 'm', 'min', 'mins');
addUnit('hour', 'hours', 'h', 'hr', 'hrs');
addUnit('day', 'days', 'd');
addUnit('week', 'weeks', 'w');
addUnit('month', 'months', 'mon', 'mons');
addUnit('quarter', 'qtr');
addUnit('year', 'years', 'y', 'yr', 'yrs');
addUnit('decade', 'decades', 'dec', 'decs');
addUnit('century', 'centuries', 'c', 'cent');
addUnit('millennium', 'millennia', 'mil', 'mils', 'millenniums');
addUnit('dow');
addUnit('isodow');
addUnit('doy');
addUnit('isoyear');
addUnit('epoch');
addUnit('julian', 'j');
addUnit('timezone');
addUnit('timezone_hour');
addUnit('timezone_minute', 'timezone_m');

const TYPE_WORDS = {
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  interval: 'interval',
} as const;
type DtKind = keyof typeof TYPE_WORDS;

function parseUnit(text: string, kind: DtKind): Unit {
  const u = UNIT_NAMES[text.toLowerCase()];
  if (u === undefined) {
    throw sqlErr('INVALID_PARAMETER_VALUE', `unit "${text}" not recognized for type ${TYPE_WORDS[kind]}`);
  }
  return u;
}

function unsupported(text: string, kind: DtKind): Error {
  return sqlErr('FEATURE_NOT_SUPPORTED', `unit "${text}" not supported for type ${TYPE_WORDS[kind]}`);
}

// --- extract / date_part -------------------------------------------------------------------------

/** A field value both as numeric (extract) and as PostgreSQL's float8 computation (date_part). */
interface Part {
  readonly n: Numeric;
  readonly f: number;
}

const intPart = (v: number | bigint): Part => ({ n: Numeric.fromInt(v), f: Number(v) });
const scaled = (v: bigint, scale: number, f: number): Part => ({ n: Numeric.of(v, scale), f });

function yearPart(y: number): number {
  return y > 0 ? y : y - 1;
}

function cDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

function calendarPart(u: Unit, tm: Tm): Part | undefined {
  switch (u) {
    case 'day':
      return intPart(tm.day);
    case 'month':
      return intPart(tm.month);
    case 'quarter':
      return intPart(cDiv(tm.month - 1, 3) + 1);
    case 'year':
      return intPart(yearPart(tm.year));
    case 'decade':
      return intPart(tm.year >= 0 ? cDiv(tm.year, 10) : -cDiv(8 - (tm.year - 1), 10));
    case 'century':
      return intPart(tm.year > 0 ? cDiv(tm.year + 99, 100) : -cDiv(99 - (tm.year - 1), 100));
    case 'millennium':
      return intPart(tm.year > 0 ? cDiv(tm.year + 999, 1000) : -cDiv(999 - (tm.year - 1), 1000));
    case 'week':
      return intPart(isoWeek(tm.days)[0]);
    case 'isoyear': {
      const y = isoWeek(tm.days)[1];
      return intPart(y > 0 ? y : y - 1);
    }
    case 'dow':
      return intPart(dow(tm.days));
    case 'isodow':
      return intPart(isoDow(tm.days));
    case 'doy':
      return intPart(dayOfYear(tm));
    default:
      return undefined;
  }
}

/** Fields that are ±Infinity for infinite inputs (others are NULL). */
const MONOTONIC = new Set<Unit>(['year', 'decade', 'century', 'millennium', 'julian', 'isoyear', 'epoch']);

function infinitePart(u: Unit, positive: boolean): Part | null {
  if (!MONOTONIC.has(u)) return null;
  return positive
    ? { n: Numeric.POSITIVE_INFINITY, f: Number.POSITIVE_INFINITY }
    : { n: Numeric.NEGATIVE_INFINITY, f: Number.NEGATIVE_INFINITY };
}

function timestampPart(unitText: string, t: bigint, kind: 'timestamp' | 'timestamptz', ctx: TypeContext): Part | null {
  const u = parseUnit(unitText, kind);
  if (!isFiniteTimestamp(t)) {
    if ((u === 'timezone' || u === 'timezone_hour' || u === 'timezone_minute') && kind === 'timestamp') {
      throw unsupported(unitText, kind);
    }
    return infinitePart(u, t === TIMESTAMP_INFINITY);
  }
  let local = t;
  let offset = 0;
  if (kind === 'timestamptz') {
    offset = zoneOffsetAt(sessionZone(ctx), t);
    local = t + BigInt(offset) * USECS_PER_SEC;
  }
  const tm = toTm(local);
  const cal = calendarPart(u, tm);
  if (cal) return cal;
  switch (u) {
    case 'microseconds':
      return scaled(BigInt(tm.second) * 1000000n + BigInt(tm.fsec), 0, tm.second * 1e6 + tm.fsec);
    case 'milliseconds':
      return scaled(BigInt(tm.second) * 1000000n + BigInt(tm.fsec), 3, tm.second * 1000 + tm.fsec / 1000);
    case 'second':
      return scaled(BigInt(tm.second) * 1000000n + BigInt(tm.fsec), 6, tm.second + tm.fsec / 1e6);
    case 'minute':
      return intPart(tm.minute);
    case 'hour':
      return intPart(tm.hour);
    case 'julian': {
      const jd = tm.days + JULIAN_2000;
      const tod = BigInt(((tm.hour * 60 + tm.minute) * 60 + tm.second) * 1e6 + tm.fsec);
      const n = Numeric.fromInt(jd).add(Numeric.fromInt(tod).div(Numeric.fromInt(86400000000n)));
      const f = jd + ((tm.hour * 60 + tm.minute) * 60 + tm.second + tm.fsec / 1e6) / 86400;
      return { n, f };
    }
    case 'epoch': {
      const us = t + UNIX_EPOCH_US;
      return scaled(us, 6, Number(us) / 1e6);
    }
    case 'timezone':
    case 'timezone_hour':
    case 'timezone_minute':
      if (kind === 'timestamp') throw unsupported(unitText, kind);
      if (u === 'timezone') return intPart(offset);
      if (u === 'timezone_hour') return intPart(cDiv(offset, 3600));
      return intPart(cDiv(offset, 60) % 60);
    default:
      throw unsupported(unitText, kind);
  }
}

function datePart(unitText: string, d: number): Part | null {
  const u = parseUnit(unitText, 'date');
  if (!Number.isFinite(d)) {
    if (!MONOTONIC.has(u) && !['day', 'month', 'quarter', 'week', 'dow', 'isodow', 'doy'].includes(u)) {
      throw unsupported(unitText, 'date');
    }
    return infinitePart(u, d > 0);
  }
  const [year, month, day] = civilFromDays(d);
  const tm: Tm = { year, month, day, hour: 0, minute: 0, second: 0, fsec: 0, days: d };
  const cal = calendarPart(u, tm);
  if (cal) return cal;
  if (u === 'julian') return intPart(d + JULIAN_2000);
  if (u === 'epoch') return intPart(BigInt(d + UNIX_EPOCH_DAYS) * 86400n);
  throw unsupported(unitText, 'date');
}

function intervalPart(unitText: string, v: Interval): Part {
  const u = parseUnit(unitText, 'interval');
  const secsUs = v.micros % USECS_PER_MINUTE;
  switch (u) {
    case 'microseconds':
      return scaled(secsUs, 0, Number(secsUs));
    case 'milliseconds':
      return scaled(secsUs, 3, Number(secsUs) / 1000);
    case 'second':
      return scaled(secsUs, 6, Number(secsUs) / 1e6);
    case 'minute':
      return intPart((v.micros / USECS_PER_MINUTE) % 60n);
    case 'hour':
      return intPart(v.micros / USECS_PER_HOUR);
    case 'day':
      return intPart(v.days);
    case 'month':
      return intPart(v.months % 12);
    case 'quarter':
      return intPart(cDiv(v.months % 12, 3) + 1);
    case 'year':
      return intPart(cDiv(v.months, 12));
    case 'decade':
      return intPart(cDiv(v.months, 120));
    case 'century':
      return intPart(cDiv(v.months, 1200));
    case 'millennium':
      return intPart(cDiv(v.months, 12000));
    case 'epoch': {
      const secs4 =
        (BigInt(4 * 365.25) * BigInt(cDiv(v.months, 12)) + 120n * BigInt(v.months % 12) + 4n * BigInt(v.days)) *
        (86400n / 4n);
      const us = secs4 * 1000000n + v.micros;
      const f =
        Number(v.micros) / 1e6 + 365.25 * 86400 * cDiv(v.months, 12) + 30 * 86400 * (v.months % 12) + 86400 * v.days;
      return scaled(us, 6, f);
    }
    default:
      throw unsupported(unitText, 'interval');
  }
}

type PartFn = (unit: string, x: Datum, ctx: TypeContext) => Part | null;
const partFns: [string, PartFn, boolean][] = [
  ['timestamp', (u, x, ctx) => timestampPart(u, big(x), 'timestamp', ctx), false],
  ['timestamptz', (u, x, ctx) => timestampPart(u, big(x), 'timestamptz', ctx), true],
  ['interval', (u, x) => intervalPart(u, x as Interval), false],
];

defineFunction('extract', [
  ...partFns.map(([type, fn, stable]) => ({
    args: ['text', type],
    result: 'numeric',
    volatility: stable ? ('stable' as const) : ('immutable' as const),
    impl: ([u, x]: readonly Datum[], ctx: TypeContext) => fn(str(u), x as Datum, ctx)?.n ?? null,
  })),
  {
    args: ['text', 'date'],
    result: 'numeric',
    impl: ([u, x]) => datePart(str(u), num(x))?.n ?? null,
  },
]);
defineFunction('date_part', [
  ...partFns.map(([type, fn, stable]) => ({
    args: ['text', type],
    result: 'float8',
    volatility: stable ? ('stable' as const) : ('immutable' as const),
    impl: ([u, x]: readonly Datum[], ctx: TypeContext) => fn(str(u), x as Datum, ctx)?.f ?? null,
  })),
  {
    // date_part(text, date) is date_part(text, date::timestamp).
    args: ['text', 'date'],
    result: 'float8',
    impl: ([u, x], ctx) => {
      const d = num(x);
      const t =
        d === DATE_INFINITY
          ? TIMESTAMP_INFINITY
          : d === DATE_NEG_INFINITY
            ? TIMESTAMP_NEG_INFINITY
            : BigInt(d) * USECS_PER_DAY;
      return timestampPart(str(u), t, 'timestamp', ctx)?.f ?? null;
    },
  },
]);

// --- date_trunc ----------------------------------------------------------------------------------

function truncLocal(unitText: string, local: bigint, kind: 'timestamp' | 'timestamptz'): bigint {
  const u = parseUnit(unitText, kind);
  const tm = toTm(local);
  const day = (y: number, m: number, d: number) => BigInt(daysFromCivil(y, m, d)) * USECS_PER_DAY;
  const [, tod] = splitTs(local);
  const dayStart = local - tod;
  switch (u) {
    case 'millennium': {
      const y = tm.year > 0 ? cDiv(tm.year + 999, 1000) * 1000 - 999 : -(cDiv(999 - (tm.year - 1), 1000) * 1000 - 1);
      return day(y, 1, 1);
    }
    case 'century': {
      const y = tm.year > 0 ? cDiv(tm.year + 99, 100) * 100 - 99 : -(cDiv(99 - (tm.year - 1), 100) * 100 - 1);
      return day(y, 1, 1);
    }
    case 'decade': {
      const y = tm.year > 0 ? cDiv(tm.year, 10) * 10 : -(cDiv(8 - (tm.year - 1), 10) * 10);
      return day(y, 1, 1);
    }
    case 'year':
      return day(tm.year, 1, 1);
    case 'quarter':
      return day(tm.year, 3 * cDiv(tm.month - 1, 3) + 1, 1);
    case 'month':
      return day(tm.year, tm.month, 1);
    case 'week':
      return dayStart - BigInt(isoDow(tm.days) - 1) * USECS_PER_DAY;
    case 'day':
      return dayStart;
    case 'hour':
      return dayStart + BigInt(tm.hour) * USECS_PER_HOUR;
    case 'minute':
      return dayStart + BigInt(tm.hour * 60 + tm.minute) * USECS_PER_MINUTE;
    case 'second':
      return local - BigInt(tm.fsec);
    case 'milliseconds':
      return local - BigInt(tm.fsec % 1000);
    case 'microseconds':
      return local;
    default:
      throw sqlErr('INVALID_PARAMETER_VALUE', `unit "${unitText}" not recognized for type ${TYPE_WORDS[kind]}`);
  }
}

function truncTimestamptz(unitText: string, t: bigint, zone: TimeZone): bigint {
  if (!isFiniteTimestamp(t)) {
    parseUnit(unitText, 'timestamptz');
    return t;
  }
  const local = utcToLocal(t, zone);
  const u = UNIT_NAMES[unitText.toLowerCase()];
  const truncated = truncLocal(unitText, local, 'timestamptz');
  // Units below a day keep the instant's own offset (no DST re-resolution).
  if (u === 'hour' || u === 'minute' || u === 'second' || u === 'milliseconds' || u === 'microseconds') {
    return t - (local - truncated);
  }
  return checkTimestamp(localToUtc(truncated, zone));
}

function truncInterval(unitText: string, v: Interval): Interval {
  const u = parseUnit(unitText, 'interval');
  let months = v.months;
  let days = v.days;
  let micros = v.micros;
  switch (u) {
    case 'millennium':
      months = cDiv(months, 12000) * 12000;
      days = 0;
      micros = 0n;
      break;
    case 'century':
      months = cDiv(months, 1200) * 1200;
      days = 0;
      micros = 0n;
      break;
    case 'decade':
      months = cDiv(months, 120) * 120;
      days = 0;
      micros = 0n;
      break;
    case 'year':
      months = cDiv(months, 12) * 12;
      days = 0;
      micros = 0n;
      break;
    case 'quarter':
      months = cDiv(months, 3) * 3;
      days = 0;
      micros = 0n;
      break;
    case 'month':
      days = 0;
      micros = 0n;
      break;
    case 'day':
      micros = 0n;
      break;
    case 'hour':
      micros = (micros / USECS_PER_HOUR) * USECS_PER_HOUR;
      break;
    case 'minute':
      micros = (micros / USECS_PER_MINUTE) * USECS_PER_MINUTE;
      break;
    case 'second':
      micros = (micros / USECS_PER_SEC) * USECS_PER_SEC;
      break;
    case 'milliseconds':
      micros = (micros / 1000n) * 1000n;
      break;
    case 'microseconds':
      break;
    case 'week':
      throw sqlErr('FEATURE_NOT_SUPPORTED', `unit "${unitText}" not supported for type interval`, {
        detail: 'Months usually have fractional weeks.',
      });
    default:
      throw unsupported(unitText, 'interval');
  }
  return { months: months || 0, days: days || 0, micros };
}

defineFunction('date_trunc', [
  {
    args: ['text', 'timestamp'],
    result: 'timestamp',
    impl: ([u, t]) => {
      if (!isFiniteTimestamp(big(t))) {
        parseUnit(str(u), 'timestamp');
        return t as bigint;
      }
      return checkTimestamp(truncLocal(str(u), big(t), 'timestamp'));
    },
  },
  {
    args: ['text', 'timestamptz'],
    result: 'timestamptz',
    volatility: 'stable',
    impl: ([u, t], ctx) => truncTimestamptz(str(u), big(t), sessionZone(ctx)),
  },
  {
    args: ['text', 'timestamptz', 'text'],
    result: 'timestamptz',
    impl: ([u, t, z]) => truncTimestamptz(str(u), big(t), zoneNamed(str(z))),
  },
  { args: ['text', 'interval'], result: 'interval', impl: ([u, v]) => truncInterval(str(u), v as Interval) },
]);

// --- current time ----------------------------------------------------------------------------------

defineFunction('now', [
  { args: [], result: 'timestamptz', volatility: 'stable', impl: (_a, ctx) => transactionNow(ctx) },
]);
defineFunction('transaction_timestamp', [
  { args: [], result: 'timestamptz', volatility: 'stable', impl: (_a, ctx) => transactionNow(ctx) },
]);
defineFunction('statement_timestamp', [
  {
    args: [],
    result: 'timestamptz',
    volatility: 'stable',
    impl: (_a, ctx) => (ctx as TypeContext & SessionFields).statementNow ?? transactionNow(ctx),
  },
]);
defineFunction('clock_timestamp', [
  { args: [], result: 'timestamptz', volatility: 'volatile', impl: () => wallClock() },
]);
defineFunction('timeofday', [
  {
    args: [],
    result: 'text',
    volatility: 'volatile',
    impl: (_a, ctx) => {
      const t = wallClock();
      const zone = sessionZone(ctx);
      const tm = toTm(utcToLocal(t, zone));
      const offset = zoneOffsetAt(zone, t);
      const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
      const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      const p2 = (n: number) => String(n).padStart(2, '0');
      const tz = zone.name.toUpperCase() === 'UTC' ? 'UTC' : `${offset < 0 ? '-' : '+'}${p2(Math.abs(offset) / 3600)}`;
      return `${days[dow(tm.days)]} ${mons[tm.month - 1]} ${p2(tm.day)} ${p2(tm.hour)}:${p2(tm.minute)}:${p2(tm.second)}.${String(tm.fsec).padStart(6, '0')} ${tm.year} ${tz}`;
    },
  },
]);

// --- age -------------------------------------------------------------------------------------------

/** timestamp_age: the symbolic difference in years, months, days and time of two local times. */
export function age(t1: bigint, t2: bigint): Interval {
  if (!isFiniteTimestamp(t1) || !isFiniteTimestamp(t2)) {
    throw sqlErr('DATETIME_FIELD_OVERFLOW', 'timestamp out of range');
  }
  const a = toTm(t1);
  const b = toTm(t2);
  let fsec = a.fsec - b.fsec;
  let sec = a.second - b.second;
  let min = a.minute - b.minute;
  let hour = a.hour - b.hour;
  let mday = a.day - b.day;
  let mon = a.month - b.month;
  let year = a.year - b.year;
  const neg = t1 < t2;
  if (neg) {
    fsec = -fsec;
    sec = -sec;
    min = -min;
    hour = -hour;
    mday = -mday;
    mon = -mon;
    year = -year;
  }
  while (fsec < 0) {
    fsec += 1000000;
    sec--;
  }
  while (sec < 0) {
    sec += 60;
    min--;
  }
  while (min < 0) {
    min += 60;
    hour--;
  }
  while (hour < 0) {
    hour += 24;
    mday--;
  }
  while (mday < 0) {
    const ref = neg ? a : b;
    mday += daysInMonth(ref.year, ref.month);
    mon--;
  }
  while (mon < 0) {
    mon += 12;
    year--;
  }
  const s = neg ? -1 : 1;
  const months = s * (year * 12 + mon);
  const time = BigInt(s) * (BigInt(((hour * 60 + min) * 60 + sec) * 1000000) + BigInt(fsec));
  return { months: months || 0, days: s * mday || 0, micros: time };
}

function todayLocal(ctx: TypeContext): bigint {
  const local = utcToLocal(transactionNow(ctx), sessionZone(ctx));
  return local - splitTs(local)[1];
}

defineFunction('age', [
  { args: ['timestamp', 'timestamp'], result: 'interval', impl: ([a, b]) => age(big(a), big(b)) },
  {
    args: ['timestamptz', 'timestamptz'],
    result: 'interval',
    volatility: 'stable',
    impl: ([a, b], ctx) => {
      const z = sessionZone(ctx);
      return age(utcToLocal(big(a), z), utcToLocal(big(b), z));
    },
  },
  {
    args: ['timestamp'],
    result: 'interval',
    volatility: 'stable',
    impl: ([a], ctx) => age(todayLocal(ctx), big(a)),
  },
  {
    args: ['timestamptz'],
    result: 'interval',
    volatility: 'stable',
    impl: ([a], ctx) => age(todayLocal(ctx), utcToLocal(big(a), sessionZone(ctx))),
  },
]);

// --- constructors ----------------------------------------------------------------------------------

function makeDays(y: number, m: number, d: number): number {
  const bad = () => sqlErr('DATETIME_FIELD_OVERFLOW', `date field value out of range: ${y}-${pad2(m)}-${pad2(d)}`);
  if (y === 0 || m < 1 || m > 12 || d < 1) throw bad();
  const year = y < 0 ? y + 1 : y;
  if (d > daysInMonth(year, m)) throw bad();
  if (year < -4713 || (year === -4713 && m < 11) || (year === -4713 && m === 11 && d < 24) || year > 5874897) {
    throw sqlErr('DATETIME_FIELD_OVERFLOW', `date out of range: ${y}-${pad2(m)}-${pad2(d)}`);
  }
  return daysFromCivil(year, m, d);
}

function pad2(n: number): string {
  return n < 0 ? `-${String(-n).padStart(2, '0')}` : String(n).padStart(2, '0');
}

function makeTimestampLocal(y: number, m: number, d: number, h: number, mi: number, sec: number): bigint {
  const days = makeDays(y, m, d);
  if (h < 0 || mi < 0 || mi > 59 || !(sec >= 0) || sec > 60 || h > 24 || (h === 24 && (mi > 0 || sec > 0))) {
    const secText = sec < 10 && sec >= 0 ? `0${sec}` : String(sec);
    throw sqlErr('DATETIME_FIELD_OVERFLOW', `time field value out of range: ${h}:${pad2(mi)}:${secText}`);
  }
  const tod = BigInt(h) * USECS_PER_HOUR + BigInt(mi) * USECS_PER_MINUTE + BigInt(rint(sec * 1e6));
  return checkTimestamp(BigInt(days) * USECS_PER_DAY + tod);
}

/** A time zone named in AT TIME ZONE / make_timestamptz: an abbreviation or a full zone name. */
export function zoneNamed(name: string, isoOffsets = false): TimeZone {
  if (isoOffsets && /^[+-]\d/.test(name)) {
    const z = resolveInputZone(name);
    if (z !== undefined) return z;
  }
  if (/^[a-z]+$/i.test(name)) {
    const abbr = resolveInputZone(name);
    if (abbr !== undefined && name.toLowerCase() !== 'utc') return abbr;
  }
  try {
    return resolveSessionTimeZone(name);
  } catch {
    throw sqlErr('INVALID_PARAMETER_VALUE', `time zone "${name}" not recognized`);
  }
}

defineFunction('make_date', [
  {
    args: ['int4', 'int4', 'int4'],
    argNames: ['year', 'month', 'day'],
    result: 'date',
    impl: ([y, m, d]) => checkDate(makeDays(num(y), num(m), num(d))),
  },
]);
defineFunction('make_timestamp', [
  {
    args: ['int4', 'int4', 'int4', 'int4', 'int4', 'float8'],
    argNames: ['year', 'month', 'mday', 'hour', 'min', 'sec'],
    result: 'timestamp',
    impl: ([y, m, d, h, mi, s]) => makeTimestampLocal(num(y), num(m), num(d), num(h), num(mi), num(s)),
  },
]);
defineFunction('make_timestamptz', [
  {
    args: ['int4', 'int4', 'int4', 'int4', 'int4', 'float8'],
    argNames: ['year', 'month', 'mday', 'hour', 'min', 'sec'],
    result: 'timestamptz',
    volatility: 'stable',
    impl: ([y, m, d, h, mi, s], ctx) =>
      checkTimestamp(localToUtc(makeTimestampLocal(num(y), num(m), num(d), num(h), num(mi), num(s)), sessionZone(ctx))),
  },
  {
    args: ['int4', 'int4', 'int4', 'int4', 'int4', 'float8', 'text'],
    argNames: ['year', 'month', 'mday', 'hour', 'min', 'sec', 'timezone'],
    result: 'timestamptz',
    impl: ([y, m, d, h, mi, s, z]) =>
      checkTimestamp(
        localToUtc(makeTimestampLocal(num(y), num(m), num(d), num(h), num(mi), num(s)), zoneNamed(str(z), true)),
      ),
  },
]);

function intervalOverflow(): Error {
  return sqlErr('DATETIME_FIELD_OVERFLOW', 'interval out of range');
}

defineFunction('make_interval', [
  {
    args: ['int4', 'int4', 'int4', 'int4', 'int4', 'int4', 'float8'],
    argNames: ['years', 'months', 'weeks', 'days', 'hours', 'mins', 'secs'],
    defaults: [0, 0, 0, 0, 0, 0, 0],
    result: 'interval',
    impl: ([y, mo, w, d, h, mi, s]) => {
      const months = num(y) * 12 + num(mo);
      const days = num(w) * 7 + num(d);
      const secs = num(s);
      if (!Number.isFinite(secs)) throw intervalOverflow();
      const us =
        BigInt(h as number) * USECS_PER_HOUR + BigInt(mi as number) * USECS_PER_MINUTE + BigInt(rint(secs * 1e6));
      if (Math.abs(months) > 2147483647 || Math.abs(days) > 2147483647) throw intervalOverflow();
      return { months: months || 0, days: days || 0, micros: us };
    },
  },
]);

defineFunction('justify_days', [{ args: ['interval'], result: 'interval', impl: ([v]) => justifyDays(v as Interval) }]);
defineFunction('justify_hours', [
  { args: ['interval'], result: 'interval', impl: ([v]) => justifyHours(v as Interval) },
]);
defineFunction('justify_interval', [
  { args: ['interval'], result: 'interval', impl: ([v]) => justifyInterval(v as Interval) },
]);

defineFunction('isfinite', [
  { args: ['date'], result: 'bool', impl: ([d]) => Number.isFinite(num(d)) },
  { args: ['timestamp'], result: 'bool', impl: ([t]) => isFiniteTimestamp(big(t)) },
  { args: ['timestamptz'], result: 'bool', impl: ([t]) => isFiniteTimestamp(big(t)) },
  { args: ['interval'], result: 'bool', impl: () => true },
]);

// --- AT TIME ZONE ----------------------------------------------------------------------------------

function intervalZone(v: Interval): TimeZone {
  if (v.months !== 0 || v.days !== 0) {
    throw sqlErr(
      'INVALID_PARAMETER_VALUE',
      `interval time zone "${formatInterval(v)}" must not include months or days`,
    );
  }
  const secs = Number(v.micros / USECS_PER_SEC);
  return { name: 'interval', fixedOffset: secs, offsetAt: () => secs };
}

defineFunction('timezone', [
  {
    // timestamptz AT TIME ZONE z → the wall-clock time in z.
    args: ['text', 'timestamptz'],
    result: 'timestamp',
    impl: ([z, t]) => checkTimestamp(utcToLocal(big(t), zoneNamed(str(z)))),
  },
  {
    // timestamp AT TIME ZONE z → the instant that wall-clock time is in z.
    args: ['text', 'timestamp'],
    result: 'timestamptz',
    impl: ([z, t]) => checkTimestamp(localToUtc(big(t), zoneNamed(str(z)))),
  },
  {
    args: ['interval', 'timestamptz'],
    result: 'timestamp',
    impl: ([z, t]) => checkTimestamp(utcToLocal(big(t), intervalZone(z as Interval))),
  },
  {
    args: ['interval', 'timestamp'],
    result: 'timestamptz',
    impl: ([z, t]) => checkTimestamp(localToUtc(big(t), intervalZone(z as Interval))),
  },
]);

// --- date_bin --------------------------------------------------------------------------------------

function dateBin(stride: Interval, t: bigint, origin: bigint): bigint {
  if (!isFiniteTimestamp(t) || !isFiniteTimestamp(origin)) {
    throw sqlErr('FEATURE_NOT_SUPPORTED', 'timestamps cannot be binned into infinite intervals');
  }
  if (stride.months !== 0) {
    throw sqlErr('FEATURE_NOT_SUPPORTED', 'timestamps cannot be binned into intervals containing months or years');
  }
  const s = BigInt(stride.days) * USECS_PER_DAY + stride.micros;
  if (s <= 0n) throw sqlErr('DATETIME_FIELD_OVERFLOW', 'stride must be greater than zero');
  const diff = t - origin;
  let bins = diff / s;
  if (diff < 0n && diff % s !== 0n) bins -= 1n;
  return checkTimestamp(origin + bins * s);
}

defineFunction('date_bin', [
  {
    args: ['interval', 'timestamp', 'timestamp'],
    result: 'timestamp',
    impl: ([s, t, o]) => dateBin(s as Interval, big(t), big(o)),
  },
  {
    args: ['interval', 'timestamptz', 'timestamptz'],
    result: 'timestamptz',
    impl: ([s, t, o]) => dateBin(s as Interval, big(t), big(o)),
  },
]);

// --- epoch ---------------------------------------------------------------------------------------

defineFunction('to_timestamp', [
  {
    args: ['float8'],
    result: 'timestamptz',
    impl: ([x]) => {
      const secs = num(x);
      if (Number.isNaN(secs)) {
        throw sqlErr('DATETIME_FIELD_OVERFLOW', 'timestamp cannot be NaN');
      }
      if (secs === Number.POSITIVE_INFINITY) return TIMESTAMP_INFINITY;
      if (secs === Number.NEGATIVE_INFINITY) return TIMESTAMP_NEG_INFINITY;
      const limit = 9223371331200 - 946684800;
      if (secs < -210866803200 || secs >= limit) {
        throw sqlErr('DATETIME_FIELD_OVERFLOW', `timestamp out of range: "${String(secs)}"`);
      }
      return BigInt(rint(secs * 1e6)) - UNIX_EPOCH_US;
    },
  },
]);
