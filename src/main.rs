//! The `customer-events` binary: parses the command line and reports errors
//! as one line with exit code 2 (bad input) or 1 (failure while writing).

use std::process::ExitCode;
use std::sync::atomic::Ordering;

use clap::Parser;
use customer_events::Error;
use customer_events::cli::{Cli, run};
use customer_events::engine::INTERRUPTED;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let line = rendered.lines().next().unwrap_or("invalid arguments");
            let line = line.strip_prefix("error: ").unwrap_or(line);
            eprintln!("customer-events: error: {line} (see --help)");
            return ExitCode::from(2);
        }
    };
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("customer-events: error: {e}");
            ExitCode::from(match e {
                Error::Config { .. } | Error::Option { .. } | Error::Output { .. } => 2,
                Error::Interrupted => 130,
                _ => 1,
            })
        }
    }
}
