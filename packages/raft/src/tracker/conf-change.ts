import { ThinkLiteError } from '@thinklite/base';
import type { ConfChange, ConfChangeSingle, NodeId } from '../types.js';
import { isJoint, type TrackerConfig } from './tracker.js';

/**
 * Applies configuration changes (the rules of etcd/raft's confchange package, our own code):
 *  - a change of at most one voter applies directly ("simple");
 *  - anything more enters joint consensus — old and new voter sets must both agree — and a later
 *    empty change leaves it (the leader proposes that itself when `autoLeave`);
 *  - a voter demoted to learner while it still votes in the outgoing half waits in `learnersNext`.
 * Invalid changes throw CONF_CHANGE_INVALID and leave the configuration as it was.
 */

function invalid(why: string): ThinkLiteError {
  return new ThinkLiteError('CONF_CHANGE_INVALID', `invalid configuration change: ${why}`, {});
}

function clone(c: TrackerConfig): TrackerConfig {
  return {
    voters: new Set(c.voters),
    votersOutgoing: new Set(c.votersOutgoing),
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

function applySingles(cfg: TrackerConfig, changes: readonly ConfChangeSingle[]): void {
  for (const ch of changes) {
    if (!Number.isSafeInteger(ch.node) || ch.node <= 0) throw invalid(`node id ${ch.node}`);
    switch (ch.kind) {
      case 'add-voter':
        cfg.voters.add(ch.node);
        cfg.learners.delete(ch.node);
        cfg.learnersNext.delete(ch.node);
        break;
      case 'add-learner':
        cfg.voters.delete(ch.node);
        if (cfg.votersOutgoing.has(ch.node)) {
          cfg.learnersNext.add(ch.node); // still votes in the outgoing half until we leave joint
        } else {
          cfg.learners.add(ch.node);
        }
        break;
      case 'remove':
        cfg.voters.delete(ch.node);
        cfg.learners.delete(ch.node);
        cfg.learnersNext.delete(ch.node);
        break;
      default:
        throw invalid(`unknown change ${(ch as { kind: string }).kind}`);
    }
  }
}

function votersChanged(a: Set<NodeId>, b: Set<NodeId>): number {
  let n = 0;
  for (const x of a) if (!b.has(x)) n++;
  for (const x of b) if (!a.has(x)) n++;
  return n;
}

function checkInvariants(c: TrackerConfig): void {
  for (const l of c.learners) {
    if (c.voters.has(l) || c.votersOutgoing.has(l)) throw invalid(`${l} is both learner and voter`);
  }
  for (const l of c.learnersNext) {
    if (!c.votersOutgoing.has(l)) throw invalid(`${l} waits to become a learner but is not an outgoing voter`);
  }
  if (!isJoint(c) && c.autoLeave) throw invalid('autoLeave outside a joint configuration');
}

/** The configuration after `cc`, or a thrown CONF_CHANGE_INVALID. */
export function applyConfChange(current: TrackerConfig, cc: ConfChange): TrackerConfig {
  const next = clone(current);
  const transition = cc.transition ?? 'auto';
  if (cc.changes.length === 0) {
    if (!isJoint(current)) throw invalid('an empty change leaves a joint configuration, and there is none');
    for (const l of next.learnersNext) next.learners.add(l);
    next.learnersNext.clear();
    next.votersOutgoing.clear();
    next.autoLeave = false;
    checkInvariants(next);
    return next;
  }
  if (isJoint(current)) throw invalid('already in a joint configuration: leave it first');
  const trial = clone(current);
  applySingles(trial, cc.changes);
  if (transition === 'auto' && votersChanged(current.voters, trial.voters) <= 1) {
    if (trial.voters.size === 0) throw invalid('removes the last voter');
    checkInvariants(trial);
    return trial;
  }
  // Joint consensus: the old voters keep voting (outgoing) while the new ones (incoming) join.
  next.votersOutgoing = new Set(current.voters);
  applySingles(next, cc.changes);
  if (next.voters.size === 0) throw invalid('the incoming configuration has no voters');
  next.autoLeave = transition !== 'joint-explicit';
  checkInvariants(next);
  return next;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A ConfChange as the data of a conf-change entry. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const cc = JSON.parse(decoder.decode(data)) as ConfChange;
  if (!cc || !Array.isArray(cc.changes)) throw invalid('entry data is not a configuration change');
  return cc;
}
