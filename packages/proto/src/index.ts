/**
 * The wire messages of ThinkLite, generated from proto/*.proto by `npm run proto` (protobufjs
 * static code). proto/ is the single definition of every message crossing a process boundary.
 *
 * 64-bit integers are JavaScript numbers everywhere in ThinkLite (range ids, Raft terms and
 * indexes, microsecond timestamps all stay below 2^53): the code is generated with
 * --force-number, and protobufjs is told not to decode into Long objects, which cost an
 * allocation and a conversion per field on hot paths.
 */
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

export { thinklite } from './generated/thinklite.js';
