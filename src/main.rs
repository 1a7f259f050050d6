//! The `customer-events` binary: parses the command line and reports errors
//! as one line with exit code 2 (bad input), 130 (Ctrl-C) or 1 (failure
//! while writing).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, run};
use customer_events::{Cancel, Error};

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
    let cancel = Cancel::new();
    let on_ctrl_c = cancel.clone();
    let _ = ctrlc::set_handler(move || on_ctrl_c.cancel());
    let writes_files = matches!(cli.command, Command::Generate(_));
    match run(cli, &cancel) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        // The library's message is about the files of `generate`.
        Err(Error::Interrupted) if !writes_files => {
            eprintln!("customer-events: error: interrupted");
            ExitCode::from(130)
        }
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
