/**
 * The wire messages of ThinkLite, generated from proto/*.proto by `npm run proto` (protobufjs
 * static code). proto/ is the single definition of every message crossing a process boundary.
 */
export { thinklite } from './generated/thinklite.js';
