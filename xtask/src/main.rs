//! Native tooling: data preparation, pretraining model A, the four stages, serving, benchmarks.
//!
//! `cargo xtask <command> [args]` (the alias lives in `.cargo/config.toml`). Each command
//! is one module with `pub fn run(args: &[String]) -> Result<(), String>`; to add one,
//! write the module, add a line to [`COMMANDS`] and an arm to the `match` in [`dispatch`].

mod budget;
mod prepare;
mod pretrain;
mod serve;
mod stages;
mod sweep;

use std::path::PathBuf;

/// (name, one-line help) for `cargo xtask help`.
const COMMANDS: &[(&str, &str)] = &[
    ("prepare-data", "validate, de-duplicate and split Fashion-MNIST into data/ and www/assets/"),
    ("pretrain", "train source model A on task A and write www/assets/model-a/ (--epochs, --seed, --limit)"),
    ("stages", "run the lecture's four stages on the built-in data (--json, --seeds 1,2,3)"),
    (
        "sweep",
        "transfer vs scratch at several training-set sizes (--sizes 10,20,..,1000 --seeds 1,2,3 --target 0.95 --budget lecture|adapted --json; --print-budgets)",
    ),
    ("serve", "serve the site (index.html, www/) at http://127.0.0.1:PORT (--port N, --isolate, --help)"),
];

fn dispatch(command: &str, args: &[String]) -> Result<(), String> {
    match command {
        "prepare-data" => prepare::run(args),
        "pretrain" => pretrain::run(args),
        "serve" => serve::run(args),
        "stages" => stages::run(args),
        "sweep" => sweep::run(args),
        "help" | "-h" | "--help" => {
            println!("{}", usage());
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{}", usage())),
    }
}

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command> [args]\n\ncommands:\n");
    for (name, help) in COMMANDS {
        text.push_str(&format!("  {name:<14} {help}\n"));
    }
    text
}

/// The repository root (xtask's parent), so commands work from any directory.
pub fn repo_root() -> PathBuf {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().map(PathBuf::from).unwrap_or(xtask_dir)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{}", usage());
        std::process::exit(2);
    };
    if let Err(message) = dispatch(command, rest) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
