import { encodeKey, type KeyColumn, type KeyValue, prefixEnd } from '@thinklite/storage';
import type { DescriptorId, IndexId } from './descriptors.js';

/**
 * Where the SQL layer's data lives in the ordered key space:
 *
 *   0x04 'd' <id>                          → descriptor (JSON)
 *   0x04 'n' <database id> <schema id> <name> → id of the object named so (databases: 0, 0;
 *                                            schemas: database, 0)
 *   0x04 'i'                               → the next descriptor id
 *   0x04 'v'                               → the catalog's version: a fresh random token written
 *                                            by every transaction that changes a descriptor or name
 *   0x04 's' <sequence id>                 → a sequence's last value
 *   <table id> <index id> <key columns…>   → an index entry (primary index: the row)
 *
 * Numbers and names use the storage layer's order-preserving key encoding, so each prefix scans
 * in order. System keys start with 0x04, below every integer marker, so they never mix with table
 * data (the first integer marker is 0x10).
 */

const SYSTEM = 0x04;
const INT: KeyColumn = { type: 'int8' };
const TEXT: KeyColumn = { type: 'text' };

function system(tag: string, columns: KeyColumn[] = [], values: KeyValue[] = []): Buffer {
  return Buffer.concat([Buffer.of(SYSTEM, tag.charCodeAt(0)), encodeKey(columns, values)]);
}

export function descriptorKey(id: DescriptorId): Buffer {
  return system('d', [INT], [BigInt(id)]);
}

export const DESCRIPTOR_SPAN = { start: system('d'), end: prefixEnd(system('d')) as Buffer };

export function namespaceKey(databaseId: DescriptorId, schemaId: DescriptorId, name: string): Buffer {
  return system('n', [INT, INT, TEXT], [BigInt(databaseId), BigInt(schemaId), name]);
}

/** Every name directly inside (databaseId, schemaId). */
export function namespaceSpan(databaseId: DescriptorId, schemaId: DescriptorId): { start: Buffer; end: Buffer } {
  const start = system('n', [INT, INT], [BigInt(databaseId), BigInt(schemaId)]);
  return { start, end: prefixEnd(start) as Buffer };
}

export const ID_GENERATOR_KEY = system('i');

export const CATALOG_VERSION_KEY = system('v');

export function sequenceKey(id: DescriptorId): Buffer {
  return system('s', [INT], [BigInt(id)]);
}

/** The prefix of every entry of one index of a table. */
export function indexPrefix(tableId: DescriptorId, indexId: IndexId): Buffer {
  return encodeKey([INT, INT], [BigInt(tableId), BigInt(indexId)]);
}

export function indexSpan(tableId: DescriptorId, indexId: IndexId): { start: Buffer; end: Buffer } {
  const start = indexPrefix(tableId, indexId);
  return { start, end: prefixEnd(start) as Buffer };
}

/** Every index of a table. */
export function tableSpan(tableId: DescriptorId): { start: Buffer; end: Buffer } {
  const start = encodeKey([INT], [BigInt(tableId)]);
  return { start, end: prefixEnd(start) as Buffer };
}
