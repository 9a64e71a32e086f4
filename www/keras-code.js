// The lecture's Keras code for each stage, with the page's current hyper-parameters
// filled in (read from the one State object, so the code always matches the run). With
// the learner's images the new output layer follows their classes: two classes keep
// the lecture's Dense(1, sigmoid) + binary cross-entropy; more give Dense(N, softmax) +
// sparse categorical cross-entropy (labels are class indices), and the class names
// are listed in the order of the labels.
import { verdictCode } from './lesson/keras-lesson.js';

const lr = (v) => (v >= 1e-3 ? String(v) : v.toExponential().replace('e-', 'e-').replace('.0e', 'e'));

/** The output layer and loss for `names` (the classes of the data trained on). */
function head(names) {
  const k = names?.length ?? 2;
  return k === 2
    ? { layer: 'keras.layers.Dense(1, activation="sigmoid")', loss: 'binary_crossentropy' }
    : { layer: `keras.layers.Dense(${k}, activation="softmax")`, loss: 'sparse_categorical_crossentropy' };
}

/** `class_names = [...]` for the learner's classes (none for the built-in task). */
function namesLine(s, names) {
  return s.scenario === 'own' && names ? `class_names = ${JSON.stringify(names)}  # y_train_B[i] indexes this list\n` : '';
}

export function kerasCode(stage, s, source = 'my_model_A.h5', names = null) {
  const h = head(names);
  switch (stage) {
    case 1: return `model_A = keras.models.load_model("${source}")
model_A_clone = keras.models.clone_model(model_A)
model_A_clone.set_weights(model_A.get_weights())`;
    case 2: return `${namesLine(s, names)}model_B_on_A = keras.Sequential(model_A_clone.layers[:-1])
model_B_on_A.add(${h.layer})`;
    case 3: return `for layer in model_B_on_A.layers[:-1]:
    layer.trainable = False

optimizer = keras.optimizers.SGD(learning_rate=${lr(s.lr3)})
model_B_on_A.compile(loss="${h.loss}", optimizer=optimizer,
                     metrics=["accuracy"])
history = model_B_on_A.fit(X_train_B[:${s.n}], y_train_B[:${s.n}], epochs=${s.ep3},
                           batch_size=${s.bs},
                           validation_data=(X_valid_B, y_valid_B))`;
    case 4: return `for layer in model_B_on_A.layers[:-1]:
    layer.trainable = True

optimizer = keras.optimizers.SGD(learning_rate=${lr(s.lr4)})
model_B_on_A.compile(loss="${h.loss}", optimizer=optimizer,
                     metrics=["accuracy"])
history = model_B_on_A.fit(X_train_B[:${s.n}], y_train_B[:${s.n}], epochs=${s.ep4},
                           batch_size=${s.bs},
                           validation_data=(X_valid_B, y_valid_B))
model_B_on_A.evaluate(X_test_B, y_test_B)`;
    case 5: return `model_B = keras.models.clone_model(model_B_on_A)  # fresh weights
model_B.compile(loss="${h.loss}",
                optimizer=keras.optimizers.SGD(learning_rate=${lr(s.lr3)}),
                metrics=["accuracy"])
model_B.fit(X_train_B[:${s.n}], y_train_B[:${s.n}], epochs=${s.ep3 + s.ep4},
            batch_size=${s.bs},
            validation_data=(X_valid_B, y_valid_B))
model_B.evaluate(X_test_B, y_test_B)
${verdictCode(s)}`;
    default: return '';
  }
}
