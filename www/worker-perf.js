// The worker's commands about data-parallel training (test hooks, www/PROTOCOL.md); the
// training itself is www/worker-pool.js, started by `train` (www/worker-train.js).
import { lastRun, pool } from './worker-pool.js';
import { fingerprint } from './worker-session.js';

/** A flat Float32Array's fingerprint, as worker-session.js's for a model's weights. */
const fingerprintFlat = (a) => fingerprint([{ data: a }]);

export const perfCommands = {
  /**
   * After a data-parallel fit: fingerprints of worker 0's weights and of every
   * replica's, and whether they are all equal bit for bit.
   */
  async parallelCheck() {
    if (!lastRun) return { workers: 1, transport: null, coordinator: null, replicas: [], equal: null };
    const own = lastRun.ownWeights();
    const replicas = await lastRun.replicaWeights();
    const same = (a) => a.length === own.length && a.every((v, i) => Object.is(v, own[i]));
    return { workers: lastRun.workers, transport: lastRun.transport, coordinator: fingerprintFlat(own), replicas: replicas.map(fingerprintFlat), equal: replicas.every(same) };
  },

  /** The next step of replica 1 traps inside its engine (a failed replica, for tests). */
  async trapReplica() {
    const w = pool().workers[0];
    if (!w) return false;
    await w.call('trapNextStep');
    return true;
  },
};
