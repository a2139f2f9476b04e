import { randomBytes } from 'node:crypto';
import { ThinkLiteError } from '@thinklite/base';
import type { KvDb, KvTxn } from '@thinklite/kv';
import type { DatabaseDesc, Descriptor, DescriptorId, RelationDesc, SchemaDesc, TableDesc } from './descriptors.js';
import {
  CATALOG_VERSION_KEY,
  DESCRIPTOR_SPAN,
  descriptorKey,
  ID_GENERATOR_KEY,
  namespaceKey,
  namespaceSpan,
} from './keys.js';

/** The databases every new store starts with, each with a `public` schema. */
export const BOOTSTRAP_DATABASES = ['thinklite', 'postgres'] as const;
export const DEFAULT_SCHEMA = 'public';
/** Ids below this are reserved for the system. */
const FIRST_USER_ID = 100;

/** A descriptor as JSON: bigints (sequence bounds) travel as {"$big": "digits"}. */
export function encodeDescriptor(d: Descriptor): Buffer {
  return Buffer.from(
    JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? { $big: v.toString() } : v)),
    'utf8',
  );
}

/**
 * Decoded descriptors by their stored text, shared by every statement: a statement still reads
 * the descriptor's bytes in its own transaction (so it sees its own snapshot), but the same bytes
 * decode only once. The objects are frozen, so no caller can change a shared one.
 */
const decoded = new Map<string, Descriptor>();
const DECODED_MAX = 1024;

export function decodeDescriptor(raw: Uint8Array): Descriptor {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  const hit = decoded.get(text);
  if (hit) return hit;
  const d = deepFreeze(
    JSON.parse(text, (_k, v) =>
      v !== null && typeof v === 'object' && typeof v.$big === 'string' ? BigInt(v.$big) : v,
    ) as Descriptor,
  );
  if (decoded.size >= DECODED_MAX) decoded.delete(decoded.keys().next().value as string);
  decoded.set(text, d);
  return d;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * The catalog as of one version, shared by every transaction that reads that version: names
 * resolved to ids and descriptors by id (null: known to be absent). A version is the random token
 * at CATALOG_VERSION_KEY, which every transaction that changes the catalog rewrites, so all
 * snapshots that read one token see the same descriptors and names — what one of them read is
 * true for all. A statement then reads one key (the token) instead of a name and a descriptor per
 * database, schema and relation it mentions; CockroachDB's descriptor leases solve the same
 * problem for a cluster. A transaction that has changed the catalog itself (its own uncommitted
 * token) never uses or fills the shared state.
 */
interface CatalogVersion {
  readonly ids: Map<string, DescriptorId | null>;
  readonly descriptors: Map<DescriptorId, Descriptor | null>;
  /** Relation names resolved (database, search path, name as written → relation or none). */
  readonly resolved: Map<string, RelationDesc | null>;
}
/** Resolved names kept per version (each is a few strings and a shared descriptor). */
const RESOLVED_MAX = 4096;
const versions = new Map<string, CatalogVersion>();
/** A few versions are kept: a long transaction may still read an older one. */
const VERSIONS_MAX = 4;
/** Each transaction's token, read once ('' when the store has none yet: no sharing). */
const tokens = new WeakMap<KvTxn, string>();
/** Transactions that have changed the catalog. */
const changedBy = new WeakSet<KvTxn>();

/** A descriptor before it is stored: no id or version yet (distributes over the union). */
export type NewDescriptor<D extends Descriptor> = D extends Descriptor ? Omit<D, 'id' | 'version'> : never;

function duplicate(d: Pick<Descriptor, 'kind' | 'name'>): ThinkLiteError {
  switch (d.kind) {
    case 'database':
      return new ThinkLiteError('DUPLICATE_DATABASE', `database "${d.name}" already exists`);
    case 'schema':
      return new ThinkLiteError('DUPLICATE_SCHEMA', `schema "${d.name}" already exists`);
    default:
      return new ThinkLiteError('DUPLICATE_TABLE', `relation "${d.name}" already exists`);
  }
}

function parentsOf(d: NewDescriptor<Descriptor>): [DescriptorId, DescriptorId] {
  switch (d.kind) {
    case 'database':
      return [0, 0];
    case 'schema':
      return [d.databaseId, 0];
    default:
      return [d.databaseId, d.schemaId];
  }
}

/**
 * The catalog as one transaction sees it: descriptors and names read and written through the
 * transactional KV API, so a CREATE, ALTER or DROP commits or rolls back with its transaction.
 */
export class Catalog {
  private readonly cache = new Map<DescriptorId, Descriptor>();

  constructor(readonly txn: KvTxn) {}

  /** Creates the bootstrap databases and schemas if the store has none (a new store). */
  static async bootstrap(db: KvDb): Promise<void> {
    await db.txn(async (txn) => {
      if ((await txn.get(ID_GENERATOR_KEY)) !== undefined) return;
      const c = new Catalog(txn);
      for (const name of BOOTSTRAP_DATABASES) {
        const d = await c.create<DatabaseDesc>({ kind: 'database', name });
        await c.create<SchemaDesc>({ kind: 'schema', name: DEFAULT_SCHEMA, databaseId: d.id });
      }
    });
  }

  /** The shared state of the catalog version this transaction reads, unless it changed the catalog. */
  private async version(): Promise<CatalogVersion | undefined> {
    if (changedBy.has(this.txn)) return undefined;
    let token = tokens.get(this.txn);
    if (token === undefined) {
      const raw = await this.txn.get(CATALOG_VERSION_KEY);
      token = raw ? raw.toString('hex') : '';
      tokens.set(this.txn, token);
    }
    if (token === '' || changedBy.has(this.txn)) return undefined;
    let v = versions.get(token);
    if (!v) {
      if (versions.size >= VERSIONS_MAX) versions.delete(versions.keys().next().value as string);
      v = { ids: new Map(), descriptors: new Map(), resolved: new Map() };
      versions.set(token, v);
    }
    return v;
  }

  /** Records that this transaction changes the catalog: a new version token commits with it. */
  private changed(): void {
    changedBy.add(this.txn);
    this.txn.put(CATALOG_VERSION_KEY, randomBytes(8));
  }

  async byId(id: DescriptorId): Promise<Descriptor | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const v = await this.version();
    const known = v?.descriptors.get(id);
    if (known !== undefined) {
      if (known) this.cache.set(id, known);
      return known ?? undefined;
    }
    const raw = await this.txn.get(descriptorKey(id));
    const d = raw ? decodeDescriptor(raw) : undefined;
    if (v && !changedBy.has(this.txn)) v.descriptors.set(id, d ?? null);
    if (d) this.cache.set(id, d);
    return d;
  }

  async idOf(databaseId: DescriptorId, schemaId: DescriptorId, name: string): Promise<DescriptorId | undefined> {
    const v = await this.version();
    const key = v ? `${databaseId}/${schemaId}/${name}` : '';
    const known = v?.ids.get(key);
    if (known !== undefined) return known ?? undefined;
    const raw = await this.txn.get(namespaceKey(databaseId, schemaId, name));
    const id = raw ? raw.readUInt32BE(0) : undefined;
    if (v && !changedBy.has(this.txn)) v.ids.set(key, id ?? null);
    return id;
  }

  async database(name: string): Promise<DatabaseDesc | undefined> {
    const id = await this.idOf(0, 0, name);
    return id === undefined ? undefined : ((await this.byId(id)) as DatabaseDesc);
  }

  async schema(databaseId: DescriptorId, name: string): Promise<SchemaDesc | undefined> {
    const id = await this.idOf(databaseId, 0, name);
    return id === undefined ? undefined : ((await this.byId(id)) as SchemaDesc);
  }

  async relation(databaseId: DescriptorId, schemaId: DescriptorId, name: string): Promise<RelationDesc | undefined> {
    const id = await this.idOf(databaseId, schemaId, name);
    return id === undefined ? undefined : ((await this.byId(id)) as RelationDesc);
  }

  /**
   * Resolves a possibly qualified relation name as PostgreSQL does: `schema.name` in that schema,
   * a bare `name` in the first schema of the search path that has it; `db.schema.name` only in the
   * current database.
   */
  async resolveRelation(
    database: DatabaseDesc,
    searchPath: readonly string[],
    parts: readonly string[],
  ): Promise<RelationDesc | undefined> {
    const name = parts[parts.length - 1] as string;
    if (parts.length > 3)
      throw new ThinkLiteError('SYNTAX_ERROR', `improper qualified name (too many dotted names): ${parts.join('.')}`);
    if (parts.length === 3 && parts[0] !== database.name) {
      throw new ThinkLiteError(
        'FEATURE_NOT_SUPPORTED',
        `cross-database references are not implemented: ${parts.join('.')}`,
      );
    }
    // What a name resolves to is the same for every transaction that reads this catalog version.
    const v = await this.version();
    const key = v ? `${database.id}\u0000${searchPath.join('\u0001')}\u0000${parts.join('\u0001')}` : '';
    const known = v?.resolved.get(key);
    if (known !== undefined) {
      if (known) this.cache.set(known.id, known);
      return known ?? undefined;
    }
    let found: RelationDesc | undefined;
    const schemas = parts.length >= 2 ? [parts[parts.length - 2] as string] : searchPath;
    for (const s of schemas) {
      const schema = await this.schema(database.id, s);
      // A missing schema is just a place without the name (PostgreSQL: relation "s.t" does not exist).
      if (!schema) continue;
      found = await this.relation(database.id, schema.id, name);
      if (found) break;
    }
    if (v && !changedBy.has(this.txn)) {
      if (v.resolved.size >= RESOLVED_MAX) v.resolved.clear();
      v.resolved.set(key, found ?? null);
    }
    return found;
  }

  async resolveTable(
    database: DatabaseDesc,
    searchPath: readonly string[],
    parts: readonly string[],
  ): Promise<TableDesc> {
    const r = await this.resolveRelation(database, searchPath, parts);
    if (!r) throw new ThinkLiteError('UNDEFINED_TABLE', `relation "${parts.join('.')}" does not exist`);
    if (r.kind !== 'table') throw new ThinkLiteError('WRONG_OBJECT_TYPE', `"${r.name}" is not a table`);
    return r;
  }

  /** The relations of a schema, by name. */
  async relations(databaseId: DescriptorId, schemaId: DescriptorId): Promise<RelationDesc[]> {
    const out: RelationDesc[] = [];
    const span = namespaceSpan(databaseId, schemaId);
    for await (const kv of this.txn.scan(span.start, span.end)) {
      const d = await this.byId(kv.value.readUInt32BE(0));
      if (d && d.kind !== 'database' && d.kind !== 'schema') out.push(d);
    }
    return out;
  }

  /** Every descriptor, in id order (for pg_catalog and \d). */
  async all(): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for await (const kv of this.txn.scan(DESCRIPTOR_SPAN.start, DESCRIPTOR_SPAN.end)) {
      const d = decodeDescriptor(kv.value);
      this.cache.set(d.id, d);
      out.push(d);
    }
    return out;
  }

  /** A fresh descriptor id. */
  async allocateId(): Promise<DescriptorId> {
    const raw = await this.txn.get(ID_GENERATOR_KEY);
    const id = raw ? raw.readUInt32BE(0) : FIRST_USER_ID;
    const next = Buffer.alloc(4);
    next.writeUInt32BE(id + 1);
    this.txn.put(ID_GENERATOR_KEY, next);
    return id;
  }

  /** Names and stores a new object; fails if its name is taken in its parent. */
  async create<D extends Descriptor>(fields: NewDescriptor<D>): Promise<D> {
    const [p1, p2] = parentsOf(fields);
    if ((await this.idOf(p1, p2, fields.name)) !== undefined) throw duplicate(fields);
    const d = { ...fields, id: await this.allocateId(), version: 1 } as unknown as D;
    await this.createWithId(d);
    return d;
  }

  /** Names and stores a new object whose id the caller allocated (allocateId). */
  async createWithId<D extends Descriptor>(d: D): Promise<D> {
    const [p1, p2] = parentsOf(d);
    this.changed();
    const idBytes = Buffer.alloc(4);
    idBytes.writeUInt32BE(d.id);
    try {
      await this.txn.cput(namespaceKey(p1, p2, d.name), idBytes, undefined);
    } catch (e) {
      if (e instanceof ThinkLiteError && e.code === 'CONDITION_FAILED') throw duplicate(d);
      throw e;
    }
    this.put(d);
    return d;
  }

  /** Stores a changed descriptor (its version bumped); renames move its name. */
  async update<D extends Descriptor>(d: D): Promise<D> {
    this.changed();
    const old = await this.byId(d.id);
    if (!old) throw new ThinkLiteError('INTERNAL_ERROR', `descriptor ${d.id} does not exist`);
    if (old.name !== d.name) {
      const [p1, p2] = parentsOf(d);
      if ((await this.idOf(p1, p2, d.name)) !== undefined) throw duplicate(d);
      this.txn.del(namespaceKey(p1, p2, old.name));
      const idBytes = Buffer.alloc(4);
      idBytes.writeUInt32BE(d.id);
      this.txn.put(namespaceKey(p1, p2, d.name), idBytes);
    }
    const next = { ...d, version: old.version + 1 };
    this.put(next);
    return next;
  }

  /** Removes an object's name and descriptor (its data is the caller's to delete). */
  async drop(d: Descriptor): Promise<void> {
    this.changed();
    const [p1, p2] = parentsOf(d);
    this.txn.del(namespaceKey(p1, p2, d.name));
    this.txn.del(descriptorKey(d.id));
    this.cache.delete(d.id);
  }

  private put(d: Descriptor): void {
    this.txn.put(descriptorKey(d.id), encodeDescriptor(d));
    this.cache.set(d.id, d);
  }
}
