// The lecture's Keras code for each stage, with the page's current hyper-parameters
// filled in (read from the one State object, so the code always matches the run).
import { verdictCode } from './lesson/keras-lesson.js';

const lr = (v) => (v >= 1e-3 ? String(v) : v.toExponential().replace('e-', 'e-').replace('.0e', 'e'));

export function kerasCode(stage, s, source = 'my_model_A.h5') {
  switch (stage) {
    case 1: return `model_A = keras.models.load_model("${source}")
model_A_clone = keras.models.clone_model(model_A)
model_A_clone.set_weights(model_A.get_weights())`;
    case 2: return `model_B_on_A = keras.Sequential(model_A_clone.layers[:-1])
model_B_on_A.add(keras.layers.Dense(1, activation="sigmoid"))`;
    case 3: return `for layer in model_B_on_A.layers[:-1]:
    layer.trainable = False

optimizer = keras.optimizers.SGD(learning_rate=${lr(s.lr3)})
model_B_on_A.compile(loss="binary_crossentropy", optimizer=optimizer,
                     metrics=["accuracy"])
history = model_B_on_A.fit(X_train_B[:${s.n}], y_train_B[:${s.n}], epochs=${s.ep3},
                           batch_size=${s.bs},
                           validation_data=(X_valid_B, y_valid_B))`;
    case 4: return `for layer in model_B_on_A.layers[:-1]:
    layer.trainable = True

optimizer = keras.optimizers.SGD(learning_rate=${lr(s.lr4)})
model_B_on_A.compile(loss="binary_crossentropy", optimizer=optimizer,
                     metrics=["accuracy"])
history = model_B_on_A.fit(X_train_B[:${s.n}], y_train_B[:${s.n}], epochs=${s.ep4},
                           batch_size=${s.bs},
                           validation_data=(X_valid_B, y_valid_B))
model_B_on_A.evaluate(X_test_B, y_test_B)`;
    case 5: return `model_B = keras.models.clone_model(model_B_on_A)  # fresh weights
model_B.compile(loss="binary_crossentropy",
                optimizer=keras.optimizers.SGD(learning_rate=${lr(s.lr3)}),
                metrics=["accuracy"])
model_B.fit(X_train_B[:${s.n}], y_train_B[:${s.n}], epochs=${s.ep3 + s.ep4},
            validation_data=(X_valid_B, y_valid_B))
model_B.evaluate(X_test_B, y_test_B)
${verdictCode(s)}`;
    default: return '';
  }
}
