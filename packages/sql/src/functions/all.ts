/** Registers every built-in function module (imported for its side effects). */
import './string.js';
import './math.js';
import './datetime.js';
import './tochar.js';
import './json.js';
import './array.js';
import './misc.js';
