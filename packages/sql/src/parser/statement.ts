/** Dispatches a libpg-query statement node to its mapper. */
import type { Node } from 'libpg-query';
import type { StatementNode } from './ast.js';
import {
  alterTable,
  createIndex,
  createSchema,
  createSequence,
  createTable,
  createView,
  dropStmt,
  renameStmt,
} from './ddl.js';
import { internalError } from './errors.js';
import { exprs, typeName } from './expr.js';
import { type Ctx, featureName, get, unwrap } from './pg.js';
import { deleteStmt, insertStmt, selectStmt, updateStmt } from './query.js';
import {
  copyStmt,
  createDatabase,
  dropDatabase,
  explainStmt,
  transactionStmt,
  truncateStmt,
  vacuumStmt,
  variableSet,
} from './utility.js';

/**
 * Maps one statement. `byteLocation` is where it starts (top-level statements) or undefined for a
 * nested one (EXPLAIN, PREPARE, COPY), which then takes the best location its parts offer.
 */
export function statementNode(c: Ctx, n: Node, byteLocation?: number): StatementNode {
  const location = byteLocation === undefined ? -1 : c.loc(byteLocation);
  const inner = (q: Node) => statementNode(c, q);
  const u = unwrap(n);
  const tag = u?.tag;
  if (u === undefined) throw c.unsupported(featureName(undefined));
  switch (u.tag) {
    case 'SelectStmt':
      return selectStmt(c, u.v, byteLocation);
    case 'InsertStmt':
      return insertStmt(c, u.v, byteLocation);
    case 'UpdateStmt':
      return updateStmt(c, u.v, byteLocation);
    case 'DeleteStmt':
      return deleteStmt(c, u.v, byteLocation);
    case 'CreateStmt':
      return createTable(c, u.v, location);
    case 'DropStmt':
      return dropStmt(c, u.v, location);
    case 'DropdbStmt':
      return dropDatabase(c, u.v, location);
    case 'AlterTableStmt':
      return alterTable(c, u.v, location);
    case 'RenameStmt':
      return renameStmt(c, u.v, location);
    case 'IndexStmt':
      return createIndex(c, u.v, location);
    case 'ViewStmt':
      return createView(c, u.v, location);
    case 'CreateSeqStmt':
      return createSequence(c, u.v, location);
    case 'CreatedbStmt':
      return createDatabase(c, u.v, location);
    case 'CreateSchemaStmt':
      return createSchema(c, u.v, location);
    case 'TruncateStmt':
      return truncateStmt(c, u.v, location);
    case 'TransactionStmt':
      return transactionStmt(c, u.v, location);
    case 'VariableSetStmt':
      return variableSet(c, u.v, location);
    case 'VariableShowStmt': {
      const name = u.v.name ?? '';
      return name === 'all' ? { kind: 'show', location } : { kind: 'show', name, location };
    }
    case 'ExplainStmt':
      return explainStmt(c, u.v, location, inner);
    case 'VacuumStmt':
      return vacuumStmt(c, u.v, location);
    case 'PrepareStmt': {
      const v = u.v;
      if (v.query === undefined) throw internalError('PREPARE without a statement');
      return {
        kind: 'prepare',
        name: v.name ?? '',
        paramTypes: (v.argtypes ?? []).map((t) => typeName(c, get(t, 'TypeName'))),
        statement: inner(v.query),
        location,
      };
    }
    case 'ExecuteStmt':
      return { kind: 'execute', name: u.v.name ?? '', params: exprs(c, u.v.params), location };
    case 'DeallocateStmt': {
      const v = u.v;
      return v.isall ? { kind: 'deallocate', location } : { kind: 'deallocate', name: v.name ?? '', location };
    }
    case 'CopyStmt':
      return copyStmt(c, u.v, location, inner);
    case 'DiscardStmt': {
      const t = u.v.target ?? 'DISCARD_ALL';
      const target =
        t === 'DISCARD_PLANS'
          ? 'plans'
          : t === 'DISCARD_SEQUENCES'
            ? 'sequences'
            : t === 'DISCARD_TEMP'
              ? 'temp'
              : 'all';
      return { kind: 'discard', target, location };
    }
    default:
      throw c.unsupported(featureName(tag), byteLocation);
  }
}
