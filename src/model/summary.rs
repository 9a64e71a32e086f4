//! `model.summary()`: Keras' table of layers, output shapes and parameter counts.

use super::Sequential;
use crate::error::fmt_shape;

/// One row of the summary, also what the page renders.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SummaryRow {
    pub name: String,
    pub class_name: String,
    pub output_shape: Vec<usize>,
    pub params: usize,
    pub trainable: bool,
}

impl Sequential {
    pub fn summary_rows(&self) -> Vec<SummaryRow> {
        self.layers()
            .iter()
            .map(|l| {
                let node = l.borrow();
                SummaryRow {
                    name: node.name.clone(),
                    class_name: node.layer.spec().class_name().to_string(),
                    output_shape: node.output_shape.clone(),
                    params: node.layer.params().iter().map(|p| p.value.len()).sum(),
                    trainable: node.trainable,
                }
            })
            .collect()
    }

    /// The text Keras prints (with thousands separators in the totals).
    pub fn summary(&self) -> String {
        let line = |c: char| c.to_string().repeat(65);
        let mut s = format!("Model: \"{}\"\n{}\n", self.name, line('_'));
        s += &format!("{:<29}{:<26}{:<10}\n{}\n", " Layer (type)", "Output Shape", "Param #", line('='));
        for r in self.summary_rows() {
            let frozen = if r.trainable { "" } else { " [frozen]" };
            s += &format!(
                "{:<29}{:<26}{:<10}{frozen}\n",
                format!(" {} ({})", r.name, r.class_name),
                fmt_shape(&r.output_shape, true),
                r.params
            );
        }
        let (total, trainable, non) = self.count_params();
        s += &format!(
            "{}\nTotal params: {}\nTrainable params: {}\nNon-trainable params: {}\n{}\n",
            line('='),
            thousands(total),
            thousands(trainable),
            thousands(non),
            line('_')
        );
        s
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
