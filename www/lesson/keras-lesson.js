// The Keras (and NumPy / scikit-learn) code of each lesson view, with the page's current
// settings, so a learner can repeat it in a notebook after the lecture's code
// (keras-code.js: model_B_on_A, model_B, the histories of stages 3 and 4).

const pct = (v) => String(v);

/** The verdict: test accuracies with a 95 % interval, their difference, epochs to the target. */
export function verdictCode(s) {
  return `
# The verdict: 95 % intervals (Wilson); is the difference within the uncertainty?
from statsmodels.stats.proportion import proportion_confint
n = len(y_test_B)
k_t = round(model_B_on_A.evaluate(X_test_B, y_test_B)[1] * n)
k_s = round(model_B.evaluate(X_test_B, y_test_B)[1] * n)
print(proportion_confint(k_t, n, method="wilson"), proportion_confint(k_s, n, method="wilson"))
se = ((k_t / n * (1 - k_t / n) + k_s / n * (1 - k_s / n)) / n) ** 0.5
print("within the uncertainty" if abs(k_t - k_s) / n <= 1.96 * se else "a real difference")
# the first epoch at ${pct(s.target)} validation accuracy (history = a fit's History)
print(next((i + 1 for i, a in enumerate(history.history["val_accuracy"]) if a >= ${pct(s.target)}), None))`;
}

/** The confusion matrix and the most confident mistakes. */
export function errorsCode() {
  return `import numpy as np
from sklearn.metrics import confusion_matrix   # or tf.math.confusion_matrix

p = model_B_on_A.predict(X_test_B)[:, 0]       # P(class 1), a sigmoid
y_pred = (p > 0.5).astype(int)                 # the class Keras' accuracy counts
print(confusion_matrix(y_test_B, y_pred))      # rows: true class, columns: predicted

# The most confident mistakes first
wrong = np.flatnonzero(y_pred != y_test_B)
confidence = np.where(y_pred == 1, p, 1 - p)[wrong]
for i in wrong[np.argsort(-confidence, kind="stable")][:12]:
    print(i, y_test_B[i], y_pred[i], max(p[i], 1 - p[i]))`;
}

/** Every layer's output for one image, of A and of B, and the first layer's filters. */
export function featuresCode() {
  return `import numpy as np
x = X_test_B[:1]                               # one image, [1, 28, 28, 1]
probe_A = keras.Model(model_A.inputs, [l.output for l in model_A.layers])
probe_B = keras.Model(model_B_on_A.inputs, [l.output for l in model_B_on_A.layers])
maps_A, maps_B = probe_A.predict(x), probe_B.predict(x)
for layer, a, b in zip(model_A.layers, maps_A, maps_B):
    if "conv" in layer.name or "pool" in layer.name:
        print(layer.name, a.shape)             # [1, height, width, channels]
        # channel c as a picture: a[0, :, :, c], each scaled to its own range

# The first layer's learned 3x3 filters: kernel[:, :, input channel, filter]
kernel_A = model_A.layers[0].get_weights()[0]
kernel_B = model_B_on_A.layers[0].get_weights()[0]
print(np.abs(kernel_B - kernel_A).max())`;
}

/** How far each layer moved in stage 3 and in stage 4: ||dW|| / ||W||. */
export function movementCode(s) {
  return `import numpy as np
def snapshot(model):
    return [[w.copy() for w in l.get_weights()] for l in model.layers]

def movement(before, model):
    for l, w0 in zip(model.layers, before):
        w1 = l.get_weights()
        if not w0:
            continue                           # no weights (pooling, Flatten)
        d = np.sqrt(sum(np.sum((b - a) ** 2) for a, b in zip(w0, w1)))
        n = np.sqrt(sum(np.sum(a ** 2) for a in w0))
        print(l.name, d / n)

before_3 = snapshot(model_B_on_A)
# ... stage 3: frozen base, SGD(learning_rate=${s.lr3}), fit ...
movement(before_3, model_B_on_A)               # the frozen layers: exactly 0
before_4 = snapshot(model_B_on_A)
# ... stage 4: unfrozen, SGD(learning_rate=${s.lr4}), fit ...
movement(before_4, model_B_on_A)`;
}

/** The data-size sweep: both procedures at several sizes and seeds. */
export function sweepCode(s, sizes, budget) {
  const adapted = budget === 'adapted';
  return `def budget(n):${adapted ? `                                 # enough SGD steps at every size
    bs = max([b for b in (1, 2, 4, 8, 16, 32) if n / b >= 4] or [1])
    per = -(-n // bs)                          # batches an epoch
    return bs, min(200, max(4, -(-50 // per))), min(200, max(16, -(-100 // per)))` : `                                 # the lecture's fixed epochs
    return ${s.bs}, ${s.ep3}, ${s.ep4}`}
def fit_sgd(model, lr, n, epochs, bs):
    model.compile(loss="binary_crossentropy", metrics=["accuracy"],
                  optimizer=keras.optimizers.SGD(learning_rate=lr))
    model.fit(X_pool[:n], y_pool[:n], epochs=epochs, batch_size=bs)
for n in [${sizes.join(', ')}]:
    bs, ep3, ep4 = budget(n)
    for seed in range(${s.seed}, ${s.seed + s.sws}):
        keras.utils.set_random_seed(seed)
        model_B_on_A = transfer(model_A)        # stages 1 and 2
        for frozen, lr, epochs in [(True, ${s.lr3}, ep3), (False, ${s.lr4}, ep4)]:
            for l in model_B_on_A.layers[:-1]: l.trainable = not frozen
            fit_sgd(model_B_on_A, lr, n, epochs, bs)
        keras.utils.set_random_seed(seed)
        model_B = keras.models.clone_model(model_B_on_A)   # fresh weights
        fit_sgd(model_B, ${s.lr3}, n, ep3 + ep4, bs)
        print(n, seed, [m.evaluate(X_test_B, y_test_B)[1] for m in (model_B_on_A, model_B)])`;
}
