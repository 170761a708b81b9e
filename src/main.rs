//! The `sdrs-conformance` binary: parses arguments, runs the command, maps the outcome to an exit status.

use clap::Parser;
use sdrs_conformance::cli::{exit, main_with, Cli};
use std::io::Write as _;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            std::process::exit(if usage { exit::ERROR } else { exit::OK });
        }
    };
    let code = match main_with(cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed stderr must not turn a clean error into a panic.
            let _ = writeln!(std::io::stderr(), "error: {e}");
            exit::ERROR
        }
    };
    std::process::exit(code);
}
