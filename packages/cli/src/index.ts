export { type Backend, embedded, type ResultSet, remote } from './backend.js';
export { formatResult, type OutputMode } from './format.js';
export { Shell } from './shell.js';
export { splitStatements } from './split.js';
