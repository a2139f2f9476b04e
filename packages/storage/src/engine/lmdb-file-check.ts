import * as fs from 'node:fs';
import { ThinkLiteError } from '@thinklite/base';

/**
 * Checks an LMDB data file's two meta pages before LMDB maps it. LMDB trusts its file completely:
 * handed a damaged or truncated one it can crash the whole process (seen: SIGSEGV on a data.mdb
 * of garbage bytes). We check what a damaged file most often gets wrong — the magic, the format
 * version, the page size, and that the newest meta page's last page lies inside the file — and
 * refuse it with STORE_CORRUPT naming the path. Damage inside a B+tree page stays undetectable
 * here (LMDB keeps no page checksums); replication is the defence against that.
 *
 * Layout (LMDB's MDB_meta within pages 0 and 1): magic u32 at +24, version u32 at +28, the free
 * DB's md_pad (the page size) u32 at +48, mm_last_pg u64 at +144, mm_txnid u64 at +152.
 */
const LMDB_MAGIC = 0xbeefc0de;
const META_OFFSET = 24;

export function checkLmdbDataFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // a new store: LMDB creates it
    throw new ThinkLiteError('STORE_IO', `cannot open ${file}: ${(e as Error).message}`, { path: file }, { cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return; // created but never written: LMDB initializes it
    const corrupt = (why: string) =>
      new ThinkLiteError('STORE_CORRUPT', `${file} is damaged: ${why}`, { path: file, sizeBytes: size });
    const head = Buffer.alloc(200);
    if (fs.readSync(fd, head, 0, head.length, 0) < head.length) throw corrupt('shorter than one LMDB page');
    const pageSize = head.readUInt32LE(48);
    if (head.readUInt32LE(META_OFFSET) !== LMDB_MAGIC) throw corrupt('no LMDB magic in meta page 0');
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw corrupt(`implausible page size ${pageSize}`);
    }
    if (size < 2 * pageSize) throw corrupt(`truncated to ${size} bytes, below its two meta pages`);
    const second = Buffer.alloc(200);
    fs.readSync(fd, second, 0, second.length, pageSize);
    const metas = [head, second].map((p, i) => {
      if (p.readUInt32LE(META_OFFSET) !== LMDB_MAGIC) throw corrupt(`no LMDB magic in meta page ${i}`);
      return {
        version: p.readUInt32LE(META_OFFSET + 4),
        lastPage: p.readBigUInt64LE(144),
        txnId: p.readBigUInt64LE(152),
      };
    });
    const newest = (metas[0]?.txnId ?? 0n) >= (metas[1]?.txnId ?? 0n) ? metas[0] : metas[1];
    if (!newest) throw corrupt('no meta page');
    if (newest.version !== metas[0]?.version || newest.version !== metas[1]?.version)
      throw corrupt('meta pages disagree on version');
    const needed = (newest.lastPage + 1n) * BigInt(pageSize);
    if (needed > BigInt(size))
      throw corrupt(`truncated: its newest commit needs ${needed} bytes, the file has ${size}`);
  } finally {
    fs.closeSync(fd);
  }
}
