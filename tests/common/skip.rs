//! A visible skip. The test harness captures `eprintln!` of passing tests, so a test
//! that returns early because something is missing (a GPU adapter) would show as a
//! plain `ok`. [`skip`] also appends a line to the skip log (`TP_SKIP_LOG`, default
//! `target/test-skips.log`), which `scripts/test.sh` counts and prints in its summary.

use std::io::Write;

/// Records that the running test checks nothing because of `reason`: prints a loud
/// `SKIP` line and appends `<test binary>::<test>: <reason>` to the skip log. Call it,
/// then return from the test.
pub fn skip(reason: &str) {
    let thread = std::thread::current();
    let test = format!("{}::{}", env!("CARGO_CRATE_NAME"), thread.name().unwrap_or("?"));
    eprintln!("SKIP: {test}: {reason}");
    let path = std::env::var_os("TP_SKIP_LOG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-skips.log"));
    // Best effort (tests run in parallel: one short append per line).
    let logged = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{test}: {reason}"));
    if let Err(e) = logged {
        eprintln!("(could not append to the skip log {}: {e})", path.display());
    }
}
