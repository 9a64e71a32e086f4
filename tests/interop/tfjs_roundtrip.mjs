// Loads the TF.js layers models our engine exported (src/model/io.rs `to_tfjs`, written
// by `cargo test --release --test keras_export` to target/keras-roundtrip/<model>/tfjs/)
// with the real @tensorflow/tfjs, predicts the inputs in expected.json beside them, and
// compares with our predictions and layer.trainable flags. Exit 1 on any load failure,
// a difference over TOL or a flag that differs.
//
//   node tests/interop/tfjs_roundtrip.mjs [target/keras-roundtrip]
//
// Plain Node has no WebGL: tfjs runs on its CPU backend, and `tf.io.fromMemory` stands in
// for the browser's fetch of model.json and weights.bin.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";

const TOL = 1e-4; // absolute; outputs are softmax/sigmoid or small logits
const root = process.argv[2] ?? "target/keras-roundtrip";

await tf.setBackend("cpu");
await tf.ready();

const models = existsSync(root)
  ? readdirSync(root).filter((d) => existsSync(join(root, d, "expected.json"))).sort()
  : [];
if (models.length === 0) {
  console.log(`FAIL: no exported models under ${root} (run cargo test --release --test keras_export)`);
  process.exit(1);
}

let failures = 0;
for (const name of models) {
  const dir = join(root, name);
  const label = `${name}/tfjs in tfjs ${tf.version.tfjs} (${tf.getBackend()})`.padEnd(48);
  try {
    const doc = JSON.parse(readFileSync(join(dir, "tfjs", "model.json"), "utf8"));
    const specs = doc.weightsManifest.flatMap((g) => g.weights);
    const bin = readFileSync(join(dir, "tfjs", doc.weightsManifest[0].paths[0]));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: doc.modelTopology, weightSpecs: specs, weightData, format: doc.format }));
    const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
    const x = tf.tensor(exp.inputs.values, exp.inputs.shape, "float32");
    const y = model.predict(x);
    const got = await y.data();
    const shapeOk = JSON.stringify(y.shape) === JSON.stringify(exp.outputs.shape);
    let err = shapeOk ? 0 : Infinity;
    if (shapeOk) exp.outputs.values.forEach((v, i) => { err = Math.max(err, Math.abs(got[i] - v)); });
    const trainable = model.layers.map((l) => l.trainable);
    const flagsOk = JSON.stringify(trainable) === JSON.stringify(exp.trainable);
    if (!flagsOk) console.log(`FAIL  ${label} layer.trainable ${JSON.stringify(trainable)}, ours ${JSON.stringify(exp.trainable)}`);
    const ok = err <= TOL && flagsOk;
    failures += ok ? 0 : 1;
    console.log(`${ok ? "ok  " : "FAIL"}  ${label} max |tfjs - ours| = ${err.toExponential(3)}` +
      (shapeOk ? "" : ` (shape ${JSON.stringify(y.shape)} vs ${JSON.stringify(exp.outputs.shape)})`));
    tf.dispose([x, y]);
    model.dispose();
  } catch (e) {
    failures += 1;
    console.log(`FAIL  ${label} could not load: ${e?.stack ?? e}`);
  }
}
console.log(`${failures ? "FAILED" : "passed"}: ${failures} failure(s), ${models.length} models, tolerance ${TOL} absolute`);
process.exit(failures ? 1 : 0);
