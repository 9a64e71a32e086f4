//! Native tooling: data preparation, pretraining model A, the four stages, serving, benchmarks.
fn main() {
    eprintln!("usage: cargo xtask <command>");
    std::process::exit(2);
}
