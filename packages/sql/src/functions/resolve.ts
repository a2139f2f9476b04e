/**
 * Function overload resolution, following PostgreSQL's "Function" type conversion rules (docs
 * §10.3; parse_func.c func_get_detail, func_match_argtypes, func_select_candidate):
 *
 * 1. candidates: the function's signatures with the call's number of arguments (a VARIADIC
 *    signature is expanded to the call's length, needing at least one variadic argument);
 * 2. a candidate whose parameter types are exactly the argument types wins;
 * 3. otherwise keep the candidates every argument can be implicitly coerced to (an `unknown`
 *    literal coerces to anything; polymorphic parameters must be consistent);
 * 4. among several: keep those with the most exact matches; then those accepting preferred types
 *    (of the argument's category) at the most positions needing conversion; then, at `unknown`
 *    argument positions, settle a category (string if any candidate takes one, else the single
 *    category all take) and prefer preferred types; finally, if all known arguments have the same
 *    type, assume the unknowns have it too. Still several: `is not unique` (42725); none:
 *    `does not exist` (42883).
 */
import { ThinkLiteError } from '@thinklite/base';
import { castContext } from '../types/cast.js';
import {
  arrayOf,
  elemOf,
  isPreferredType,
  type SqlType,
  type TypeCategory,
  Types,
  typeCategory,
  typeName,
} from '../types/type.js';
import { type FunctionSignature, isPolymorphic, type ParamType } from './registry.js';

export interface Candidate {
  readonly sig: FunctionSignature;
  /** The declared parameter types, one per call argument (variadic expanded). */
  readonly params: readonly ParamType[];
  /** The call passes the variadic array itself (`f(VARIADIC arr)`). */
  readonly variadicArray: boolean;
}

export interface Resolution {
  readonly candidate: Candidate;
  /** The concrete type each argument is coerced to (an `any` parameter keeps the argument's type). */
  readonly argTypes: readonly SqlType[];
  readonly resultType: SqlType;
}

export function sameKind(a: SqlType, b: SqlType): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind !== 'array' || sameKind(elemOf(a), elemOf(b));
}

/** can_coerce_type for one concrete target in an implicit context. */
export function canCoerceImplicit(from: SqlType, to: SqlType): boolean {
  if (from.kind === 'unknown') return true;
  if (sameKind(from, to)) return true;
  return castContext(from, to) === 'implicit';
}

/** The candidates for a call with these many arguments. */
export function candidatesFor(
  sigs: readonly FunctionSignature[],
  nargs: number,
  variadicCall: boolean,
): readonly Candidate[] {
  const out: Candidate[] = [];
  for (const sig of sigs) {
    if (variadicCall) {
      // f(VARIADIC arr): only variadic functions, with the array in the variadic position.
      if (sig.variadic === undefined || nargs !== sig.args.length + 1) continue;
      const v = sig.variadic;
      const arrayParam: ParamType =
        v === 'any' || v === 'anyelement'
          ? 'anyarray'
          : v === 'anycompatible'
            ? 'anycompatiblearray'
            : isPolymorphic(v)
              ? v
              : arrayOf(v);
      out.push({ sig, params: [...sig.args, arrayParam], variadicArray: true });
      continue;
    }
    if (sig.variadic === undefined) {
      if (sig.args.length === nargs) out.push({ sig, params: sig.args, variadicArray: false });
    } else if (nargs > sig.args.length) {
      const extra = new Array<ParamType>(nargs - sig.args.length).fill(sig.variadic);
      out.push({ sig, params: [...sig.args, ...extra], variadicArray: false });
    }
  }
  return out;
}

function isExact(params: readonly ParamType[], inputs: readonly SqlType[]): boolean {
  return params.every((p, i) => {
    const t = inputs[i] as SqlType;
    return !isPolymorphic(p) && t.kind !== 'unknown' && sameKind(p, t);
  });
}

/**
 * select_common_type (UNION/CASE rules) over the known types: the first type, replaced by a later
 * one of the same category it casts to implicitly (but not back) unless it is preferred; a
 * different category fails (undefined). All unknown: text.
 */
export function selectCommonType(types: readonly SqlType[]): SqlType | undefined {
  let p: SqlType | undefined;
  for (const t of types) {
    if (t.kind === 'unknown') continue;
    if (p === undefined) {
      p = t;
      continue;
    }
    if (sameKind(p, t)) continue;
    if (typeCategory(t) !== typeCategory(p)) return undefined;
    if (!isPreferredType(p) && canCoerceImplicit(p, t) && !canCoerceImplicit(t, p)) p = t;
  }
  return p ?? Types.text;
}

interface PolyState {
  /** The anyelement family's type, if any argument fixes it. */
  elem?: SqlType;
  usesElem: boolean;
  /** The anycompatible family's argument types. */
  compat: SqlType[];
  usesCompat: boolean;
}

/** Collects the polymorphic families' actual types; false when they are inconsistent. */
function polyState(params: readonly ParamType[], inputs: readonly SqlType[]): PolyState | false {
  const st: PolyState = { usesElem: false, compat: [], usesCompat: false };
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as ParamType;
    const t = inputs[i] as SqlType;
    if (!isPolymorphic(p) || p === 'any') continue;
    if (p === 'anycompatible' || p === 'anycompatiblearray') {
      st.usesCompat = true;
      if (t.kind === 'unknown') continue;
      if (p === 'anycompatiblearray') {
        if (t.kind !== 'array') return false;
        st.compat.push(elemOf(t));
      } else st.compat.push(t);
      continue;
    }
    st.usesElem = true;
    if (t.kind === 'unknown') continue;
    let e = t;
    if (p === 'anyarray') {
      if (t.kind !== 'array') return false;
      e = elemOf(t);
    } else if (p === 'anynonarray' && t.kind === 'array') return false;
    if (st.elem !== undefined && !sameKind(st.elem, e)) return false;
    st.elem = e;
  }
  if (st.elem !== undefined) {
    // anynonarray must not be resolved to an array type by another argument.
    for (let i = 0; i < params.length; i++) {
      if (params[i] === 'anynonarray' && st.elem.kind === 'array') return false;
    }
  }
  if (st.compat.length > 0) {
    const common = selectCommonType(st.compat);
    if (common === undefined || !st.compat.every((t) => canCoerceImplicit(t, common))) return false;
  }
  return st;
}

/** Whether every argument can be implicitly coerced to the candidate's parameters. */
function canCoerceAll(inputs: readonly SqlType[], params: readonly ParamType[]): boolean {
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as ParamType;
    if (isPolymorphic(p)) continue;
    if (!canCoerceImplicit(inputs[i] as SqlType, p)) return false;
  }
  return polyState(params, inputs) !== false;
}

function categoryOf(p: ParamType): TypeCategory | 'P' {
  return isPolymorphic(p) ? 'P' : typeCategory(p);
}

function preferred(p: ParamType): boolean {
  return !isPolymorphic(p) && isPreferredType(p);
}

/** func_select_candidate: undefined when the heuristics cannot pick one. */
function selectCandidate(inputs: readonly SqlType[], cands: readonly Candidate[]): Candidate | undefined {
  const n = inputs.length;
  const keepMax = (list: readonly Candidate[], score: (c: Candidate) => number): Candidate[] => {
    let best = -1;
    let out: Candidate[] = [];
    for (const c of list) {
      const s = score(c);
      if (s > best) {
        best = s;
        out = [c];
      } else if (s === best) out.push(c);
    }
    return out;
  };
  // Most exact matches.
  let list = keepMax(cands, (c) => {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const p = c.params[i] as ParamType;
      const t = inputs[i] as SqlType;
      if (t.kind !== 'unknown' && !isPolymorphic(p) && sameKind(p, t)) m++;
    }
    return m;
  });
  if (list.length === 1) return list[0];
  // Exact or preferred types (of the input's category) where conversion is needed.
  list = keepMax(list, (c) => {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const p = c.params[i] as ParamType;
      const t = inputs[i] as SqlType;
      if (t.kind === 'unknown' || isPolymorphic(p)) continue;
      if (sameKind(p, t) || (isPreferredType(p) && typeCategory(p) === typeCategory(t))) m++;
    }
    return m;
  });
  if (list.length === 1) return list[0];
  const unknowns = inputs.filter((t) => t.kind === 'unknown').length;
  if (unknowns === 0) return undefined;
  // Settle a category for each unknown position.
  const slotCat: (TypeCategory | 'P' | undefined)[] = [];
  const slotPref: boolean[] = [];
  let resolved = true;
  for (let i = 0; i < n && resolved; i++) {
    if ((inputs[i] as SqlType).kind !== 'unknown') continue;
    let cat: TypeCategory | 'P' | undefined;
    let pref = false;
    let conflict = false;
    for (const c of list) {
      const p = c.params[i] as ParamType;
      const pc = categoryOf(p);
      if (cat === undefined) {
        cat = pc;
        pref = preferred(p);
      } else if (pc === cat) pref = pref || preferred(p);
      else if (pc === 'S') {
        cat = pc;
        pref = preferred(p);
      } else if (cat !== 'S') conflict = true;
    }
    if (conflict && cat !== 'S') resolved = false;
    slotCat[i] = cat;
    slotPref[i] = pref;
  }
  if (resolved) {
    const kept = list.filter((c) => {
      for (let i = 0; i < n; i++) {
        if ((inputs[i] as SqlType).kind !== 'unknown') continue;
        const p = c.params[i] as ParamType;
        if (categoryOf(p) !== slotCat[i]) return false;
        if (slotPref[i] && !preferred(p)) return false;
      }
      return true;
    });
    if (kept.length > 0) list = kept;
    if (list.length === 1) return list[0];
  }
  // Last gasp: unknowns take the one type all known arguments share.
  if (unknowns < n) {
    let known: SqlType | undefined;
    for (const t of inputs) {
      if (t.kind === 'unknown') continue;
      if (known === undefined) known = t;
      else if (!sameKind(known, t)) {
        known = undefined;
        break;
      }
    }
    if (known !== undefined) {
      const k = known;
      const as = inputs.map(() => k);
      const ok = list.filter((c) => canCoerceAll(as, c.params));
      if (ok.length === 1) return ok[0];
    }
  }
  return undefined;
}

export type ResolveOutcome =
  | { readonly kind: 'found'; readonly resolution: Resolution }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'ambiguous' };

/** Picks the signature for a call with these argument types, or says why none was picked. */
export function resolveCandidates(inputs: readonly SqlType[], cands: readonly Candidate[]): ResolveOutcome {
  let chosen = cands.find((c) => isExact(c.params, inputs));
  if (chosen === undefined) {
    const viable = cands.filter((c) => canCoerceAll(inputs, c.params));
    if (viable.length === 0) return { kind: 'notFound' };
    chosen = viable.length === 1 ? viable[0] : selectCandidate(inputs, viable);
    if (chosen === undefined) return { kind: 'ambiguous' };
  }
  return { kind: 'found', resolution: concretize(chosen, inputs) };
}

function undeterminedPoly(): ThinkLiteError {
  return new ThinkLiteError('DATATYPE_MISMATCH', 'could not determine polymorphic type because input has type unknown');
}

/** Resolves the polymorphic parameters and the result type (enforce_generic_type_consistency). */
function concretize(c: Candidate, inputs: readonly SqlType[]): Resolution {
  const st = polyState(c.params, inputs);
  if (st === false) throw new ThinkLiteError('INTERNAL_ERROR', 'inconsistent polymorphic arguments');
  if (st.usesElem && st.elem === undefined) throw undeterminedPoly();
  const common = st.usesCompat ? (selectCommonType(st.compat) ?? Types.text) : undefined;
  const sub = (p: ParamType, input?: SqlType): SqlType => {
    if (!isPolymorphic(p)) return p;
    switch (p) {
      case 'any':
        return input ?? Types.unknown;
      case 'anyelement':
      case 'anynonarray':
        return st.elem as SqlType;
      case 'anyarray':
        return arrayOf(st.elem as SqlType);
      case 'anycompatible':
        return common as SqlType;
      case 'anycompatiblearray':
        return arrayOf(common as SqlType);
    }
  };
  const argTypes = c.params.map((p, i) => sub(p, inputs[i]));
  const r = c.sig.result;
  let resultType: SqlType;
  if (typeof r === 'function') resultType = r(argTypes);
  else if (isPolymorphic(r)) {
    if (r === 'any') throw new ThinkLiteError('INTERNAL_ERROR', 'a function cannot return "any"');
    if ((r === 'anyelement' || r === 'anyarray' || r === 'anynonarray') && st.elem === undefined) {
      throw undeterminedPoly();
    }
    resultType = sub(r);
  } else resultType = r;
  return { candidate: c, argTypes, resultType };
}

/** `name(integer, unknown)` as PostgreSQL's error messages print a call (named arguments as `a => type`). */
export function callSignature(name: string, inputs: readonly SqlType[], argNames: readonly string[] = []): string {
  const firstNamed = inputs.length - argNames.length;
  const parts = inputs.map((t, i) => (i >= firstNamed ? `${argNames[i - firstNamed]} => ` : '') + typeName(t));
  return `${name}(${parts.join(', ')})`;
}
