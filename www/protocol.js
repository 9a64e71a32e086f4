// The worker's message protocol in code: the names www/PROTOCOL.md documents, shared by
// the worker (its command table must be exactly COMMANDS), the page (engine.js refuses
// a name not listed) and the tests. Change a name here and in PROTOCOL.md together;
// tests/e2e/protocol.test.mjs checks that the two agree.

/** Requests `{id, cmd, args}`; each gets exactly one reply. */
export const COMMANDS = Object.freeze([
  'init', 'backend', 'simulateDeviceLoss', 'simulateTrap',
  'loadTfjs', 'loadKeras', 'useBuiltinA', 'restore', 'modelBytes', 'exportModel',
  'stage1', 'stage2', 'train', 'stop', 'resume', 'evaluate', 'checkA',
  'testImage', 'predict', 'prepareImages', 'reprocessImages', 'useData',
  'sweep', 'featureMaps', 'accuracies', 'parallelCheck', 'trapReplica', 'stopAfter',
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
  'CLASSES_NEED_IMAGES', // {names}: classes with fewer than the 2 images a class needs
  'TOO_MANY_CLASSES',  // {max}
  'TOO_MANY_IMAGES',   // {n, max}: files over the set's limit (www/own/add.js: MAX_IMAGES) were not added
  'TOO_FEW_CLASSES',   // {min}
  'HEAD_MISMATCH',     // {units, classes}: stage 4's B was built for another number of classes
  'NOT_AN_IMAGE',      // {name, supported}: not a format this page recognises
  'IMAGE_UNSUPPORTED', // {name, format, supported}: a known format this browser does not decode
  'IMAGE_DAMAGED',     // {name, format}: a decodable format that fails to decode
  'FILE_TOO_LARGE',    // {name, size, limit, megabytes, limitMegabytes}
  'TOO_MANY_PIXELS',   // {name, width, height, pixels, limit, megapixels, limitMegapixels}
  'CAMERA_DENIED',     // {detail}: the learner (or the browser's settings) refused the camera
  'NO_CAMERA',         // {detail}
  'CAMERA_BUSY',       // {detail}: the camera is in use or could not start
  'CAMERA_UNAVAILABLE', // {detail}: no getUserMedia (not a secure context)
  'INVALID_SETTINGS',  // {labels}: an input holds a value the table refuses
  'STORAGE_UNAVAILABLE', // {detail}: no IndexedDB (private mode, blocked)
  'STORAGE_QUOTA',     // the browser's storage quota is full
  'STORAGE_FAILED',    // {detail}
  'OPEN_ELSEWHERE',    // the page is open in another tab, which saves the project: this one does not
  'OTHER_TAB_CLOSED',  // that tab was closed: reload this one to continue from what it saved
  'BAD_PROJECT',       // {detail}: an imported file is not a project this page wrote
  'SWEEP_RUNNING',     // a sweep was started while one runs
  'SWEEP_SIZE',        // {n, max}: a sweep point asks for more training images than there are
  'WORKER_LOST',       // {workers, detail}: a replica worker of data-parallel training failed
]);
