// The worker's message protocol in code: the names www/PROTOCOL.md documents, shared by
// the worker (its command table must be exactly COMMANDS), the page (engine.js refuses
// a name not listed) and the tests. Change a name here and in PROTOCOL.md together;
// tests/e2e/protocol.test.mjs checks that the two agree.

/** Requests `{id, cmd, args}`; each gets exactly one reply. */
export const COMMANDS = Object.freeze([
  'init', 'backend', 'simulateDeviceLoss', 'simulateTrap',
  'loadTfjs', 'loadKeras', 'useBuiltinA', 'restore', 'modelBytes', 'exportModel',
  'stage1', 'stage2', 'train', 'stop', 'resume', 'evaluate', 'checkA',
  'testImage', 'predict', 'prepareImages', 'useData',
  'parallelCheck', 'trapReplica',
]);

/** Unsolicited messages from the worker (`type`), and the one engine.js adds itself. */
export const EVENTS = Object.freeze(['progress', 'backend', 'engine']);

/**
 * Error codes the page and the worker raise themselves (the engine's own codes are
 * Contract 1's: SHAPE, CONFIG, UNSUPPORTED, ... see www/API.md). Every code has an
 * `err.CODE` text in www/i18n/*.json.
 */
export const PAGE_ERRORS = Object.freeze([
  'ENGINE',            // {detail}: an engine error without a code (engines before Contract 1)
  'TRAPPED',           // {detail}: the WebAssembly instance trapped (RuntimeError): fatal
  'ENGINE_REPLACED',   // a request was cut short because its worker was replaced
  'ENGINE_DEAD',       // {detail}: a fresh worker could not be started either
  'UNKNOWN_COMMAND',   // {cmd}
  'NOT_READY',         // a command came before `init`
  'NOT_TRAINED',       // {which}: the model does not exist yet
  'STOPPED',           // a stage needed by this one was stopped, not finished
  'NOTHING_TO_RESUME',
  'SNAPSHOT_MISSING',  // stage 4 asked for a stage-3 snapshot the worker does not hold
  'BAD_MODEL_A',       // {shape}: model A does not take [h, w, 1|3] images
  'NEED_MODEL_JSON',
  'MISSING_SHARD',     // {name}
  'FETCH_FAILED',      // {url, status}
  'NO_OWN_IMAGES',     // the settings ask for the learner's images and there are none
  'NEED_BOTH_CLASSES',
  'NOT_AN_IMAGE',      // {name}
  'FILE_TOO_LARGE',    // {name, size, limit}
  'TOO_MANY_PIXELS',   // {name, pixels, limit}
  'INVALID_SETTINGS',  // {labels}: an input holds a value the table refuses
  'STORAGE_UNAVAILABLE', // {detail}: no IndexedDB (private mode, blocked)
  'STORAGE_QUOTA',     // the browser's storage quota is full
  'STORAGE_FAILED',    // {detail}
  'BAD_PROJECT',       // {detail}: an imported file is not a project this page wrote
  'WORKER_LOST',       // {workers, detail}: a replica worker of data-parallel training failed
]);
