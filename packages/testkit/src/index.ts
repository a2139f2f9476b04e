export { type Child, killAllChildren, startChild } from './child-process.js';
export {
  DEFAULT_SIM,
  InvariantViolation,
  RaftSimulation,
  type SimOptions,
  type SimResult,
  simulate,
} from './raft-sim/cluster.js';
export { type NetworkFaults, SimNetwork } from './raft-sim/network.js';
export { waitFor } from './wait-for.js';
