//! The `customer-events` binary: parses the command line, turns SIGINT,
//! SIGTERM and SIGHUP into a cancelled run, and reports errors as one line
//! with exit code 2 (bad input, an output folder in use), 1 (failure while
//! writing) or 128 + the signal's number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).

mod cli;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

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
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // No arguments: the usage, on stderr.
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!(
                "customer-events: error: {} (see --help)",
                one_line(&e.render().to_string())
            );
            return ExitCode::from(2);
        }
    };
    let cancel = Cancel::new();
    let signal = Arc::new(AtomicI32::new(0));
    if let Err(e) = cancel_on_signals(&cancel, &signal) {
        eprintln!("customer-events: error: cannot handle signals: {e}");
        return ExitCode::from(1);
    }
    let writes_files = matches!(cli.command, Command::Generate(_) | Command::Append(_));
    // A stopped stream says itself how far it went and how to go on.
    let reports_its_stop = matches!(cli.command, Command::Stream(_));
    // 128 + the signal's number, as a shell reports a process it killed.
    let interrupted = || ExitCode::from(128 + signal.load(Ordering::SeqCst).clamp(1, 127) as u8);
    match run(cli, &cancel) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        // The library's message is about the files of `generate`.
        Err(Error::Interrupted) if reports_its_stop => interrupted(),
        Err(Error::Interrupted) if !writes_files => {
            eprintln!("customer-events: error: interrupted");
            interrupted()
        }
        Err(Error::Interrupted) => {
            eprintln!("customer-events: error: {}", Error::Interrupted);
            interrupted()
        }
        Err(e) => {
            eprintln!("customer-events: error: {e}");
            ExitCode::from(match e {
                Error::Config { .. } | Error::Option { .. } | Error::Output { .. } | Error::Destination { .. } => 2,
                _ => 1,
            })
        }
    }
}

/// A clap error as one line: its message and the lines that belong to it
/// (the valid values of a refused one, a missing argument's name, a tip),
/// without the usage and the pointer to `--help` that follow a blank line.
fn one_line(rendered: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() {
            break;
        }
        let line = line.strip_prefix("error: ").unwrap_or(line);
        // `[possible values: a, b]` reads as `; possible values: a, b`.
        let line = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')).unwrap_or(line);
        parts.push(line.to_string());
    }
    let mut text = String::new();
    for part in parts {
        if !text.is_empty() {
            text.push_str(if text.ends_with(':') { " " } else { "; " });
        }
        text.push_str(&part);
    }
    if text.is_empty() {
        "invalid arguments".into()
    } else {
        text
    }
}

/// Cancels `cancel` on SIGINT, SIGTERM or SIGHUP and records which arrived
/// in `signal` (SIGINT if none was recorded, e.g. cancelled otherwise).
fn cancel_on_signals(cancel: &Cancel, signal: &Arc<AtomicI32>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    signal.store(SIGINT, Ordering::SeqCst);
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    let (cancel, signal) = (cancel.clone(), Arc::clone(signal));
    std::thread::spawn(move || {
        for arrived in signals.forever() {
            // The first signal names the exit code; later ones only repeat the request.
            if !cancel.is_cancelled() {
                signal.store(arrived, Ordering::SeqCst);
                cancel.cancel();
            }
        }
    });
    Ok(())
}
