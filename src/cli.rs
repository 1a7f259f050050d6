//! The binary's command line: flags parsed by clap into raw values, then
//! resolved into a validated [`Config`] and [`OutputOptions`], and the
//! progress bar. Every error names the flag and the fix. The parsing of
//! values (counts, dates, named choices) is the library's
//! ([`customer_events::options`]); this module is its clap glue.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use customer_events::Cancel;
use customer_events::config::{Config, DEFAULT_CONFIG_TOML};
use customer_events::config::{FAULT_PRESETS, FaultsConfig};
use customer_events::engine::{self, DEFAULT_MAX_ROWS_PER_FILE, DEFAULT_ROW_GROUP_ROWS, OutputOptions, Progress};
use customer_events::error::Error;
use customer_events::options::{Choice, parse_choice, parse_count, parse_date};
use customer_events::schema::event_schema_of;
use customer_events::schema_formats::SchemaFormat;
use customer_events::sink::parquet::Compression;
use customer_events::sink::parts::{self, Committed, PartOf};
use customer_events::sink::{Format, Layout, PartitionBy};
use customer_events::stream;
use customer_events::table;
use customer_events::world::World;
use indicatif::{ProgressBar, ProgressStyle};

/// Synthetic media-streaming customer events, as partitioned Parquet.
#[derive(Debug, Parser)]
#[command(name = "customer-events", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a dataset, Hive-partitioned by day (event_date=YYYY-MM-DD/part-NNNNN.parquet); Parquet by
    /// default, or NDJSON or Arrow IPC, nested or normalized.
    Generate(GenerateArgs),
    /// Print events as JSON lines, one object per event, like the original module.
    Sample(SampleArgs),
    /// Stream a dataset's events in timestamp order to standard output, one JSON line each (the
    /// lines of `generate --format ndjson`): as fast as possible, at --rate N a second, or in
    /// --realtime from now on. Pipe it into kcat, a cloud CLI or a socket.
    Stream(StreamArgs),
    /// Print the dataset config.
    Config(ConfigArgs),
    /// Print the event schema in another system's terms (generated from the one Arrow schema).
    Schema(SchemaArgs),
    /// Merge the part manifests of `generate --parts N --part K` runs in OUT into
    /// `_manifest.json` and write `_SUCCESS` (the last part to finish does it itself).
    Commit(CommitArgs),
    /// Add the next days of the timeline to a Delta table written by `generate --table delta`, as one
    /// new version, with the seed, world and file options the table recorded.
    Append(AppendArgs),
    /// Check a dataset against its _manifest.json: every file present with its size, CRC-32 and rows,
    /// no other files, _SUCCESS present. A Delta table is checked against its log (every file it adds
    /// present with its size and rows, no unlisted file in a day folder). Exit 0 when intact, 1 when
    /// not, 2 without a manifest or log.
    Verify(VerifyArgs),
}

/// Flags of `append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The table's folder or object store prefix (the --out of `generate --table delta`:
    /// DIR, s3://BUCKET/PREFIX, gs://…, az://…).
    pub table: PathBuf,
    /// Days to add after the table's last day.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Worker threads [default: one per core]. The output does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Split the window's files into N parts, one run each (e.g. one per machine); needs --part.
    /// Every part of a window runs before the last one to finish commits the version.
    #[arg(long, value_name = "N", requires = "part")]
    pub parts: Option<u32>,
    /// Write only part K (1..=N) of --parts into the window's staging folder; the last part to
    /// finish commits the version.
    #[arg(long, value_name = "K", requires = "parts")]
    pub part: Option<u32>,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `commit`.
#[derive(Debug, Args)]
pub struct CommitArgs {
    /// The output folder holding every part's files and `_parts/`.
    pub out: PathBuf,
}

/// Flags of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The dataset's or Delta table's folder (the --out of `generate`).
    pub out: PathBuf,
}

/// Flags of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The form to print.
    #[arg(long, value_parser = choice::<SchemaFormat>(), default_value = "arrow")]
    pub format: SchemaFormat,
    /// The schema of a dataset written with these faults: with missing values (typical has them),
    /// user_id, timestamp and location.country are nullable.
    #[arg(long, value_name = "PRESET", value_parser = PossibleValuesParser::new(FAULT_PRESETS)
        .map(|name| FaultsConfig::preset(&name).expect("clap accepts only the listed presets")))]
    pub faults: Option<FaultsConfig>,
    /// The schema of a dataset written with this config file (its [faults] decide, as above).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Flags that decide the dataset's content (shared by `generate` and `sample`).
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// TOML file with the distributions (see `customer-events config --default`); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed of every random stream; same seed and config give identical output [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// First day of events, YYYY-MM-DD (UTC) [default: 2026-01-01].
    #[arg(long, value_parser = parse_date)]
    pub start: Option<NaiveDate>,
    /// Number of days of events [default: 7].
    #[arg(long)]
    pub days: Option<u32>,
    /// The day by which every user has subscribed, YYYY-MM-DD; subscriptions start up to eight
    /// years before it [default: the earlier of 2026-01-01 and --start].
    #[arg(long, value_parser = parse_date)]
    pub epoch: Option<NaiveDate>,
    /// Users in the universe [default: rows / 20 (a week's events / 20 for --events-per-day or under 7
    /// days), within 1,000 ..= 10,000,000].
    #[arg(long, value_parser = parse_count)]
    pub users: Option<u64>,
    /// Entries in the content catalog [default: 10,000].
    #[arg(long, value_parser = parse_count)]
    pub catalog_size: Option<u64>,
}

/// Flags of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of events: 10k, 5M, 1B, 1_000_000 [default: 1M], shared out over the days.
    #[arg(long, value_parser = parse_count)]
    pub rows: Option<u64>,
    /// Events of an average day instead of --rows: each day gets its volume from its date alone
    /// (Friday ×1.1, weekend ×1.3, a week holds 7 × N), so any window of days writes the same
    /// days, and runs of adjacent windows make one history.
    #[arg(long, value_parser = parse_count, conflicts_with = "rows", value_name = "N")]
    pub events_per_day: Option<u64>,
    /// Output folder; created if missing, refused if it holds files (see --overwrite).
    /// `null:` generates and encodes everything but writes nothing (to measure speed without the disk).
    #[arg(long, default_value = "data/events")]
    pub out: PathBuf,
    /// File format: parquet, ndjson (one JSON object per line, the original's keys and nesting) or
    /// arrow (Arrow IPC files).
    #[arg(long, value_parser = choice::<Format>(), default_value = "parquet")]
    pub format: Format,
    /// Tables: nested (one table of nested events) or normalized (events, user_actions,
    /// recommendations, search_history keyed by event_id, plus users and content; a folder each).
    #[arg(long, value_parser = choice::<Layout>(), default_value = "nested")]
    pub layout: Layout,
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Faults to inject, with their ground truth in _faults/ (docs/faults.md): none (default) or
    /// typical (1% duplicates, 0.2% near-duplicates, 2% out of order, 0.1% broken values, 0.1%
    /// missing values, 0.5% late arrivals, written into a later day's partition). Rates of your own go in the config's
    /// [faults]; this flag replaces them.
    #[arg(long, value_name = "PRESET", value_parser = PossibleValuesParser::new(FAULT_PRESETS)
        .map(|name| FaultsConfig::preset(&name).expect("clap accepts only the listed presets")))]
    pub faults: Option<FaultsConfig>,
    /// Worker threads [default: one per core]. The output does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Codec. Parquet: snappy (default; fast, read everywhere; random-id columns, which it
    /// barely shrinks, are stored uncompressed), zstd, zstd(N) with N in 1..=22
    /// (smaller files), lz4, gzip, gzip(N), none. ndjson: none (default), gzip, gzip(N), zstd,
    /// zstd(N). arrow: none (default), lz4, zstd.
    #[arg(long, value_parser = parse_compression)]
    pub compression: Option<Compression>,
    /// Also write Parquet min/max statistics for string columns. Off by default: no string
    /// column is ordered within a file, so they never let a reader skip a row group, and
    /// computing them costs about a tenth of the run time. Numbers, dates and timestamps
    /// always have them.
    #[arg(long)]
    pub string_statistics: bool,
    /// Rows per Parquet row group (DuckDB's own size by default).
    #[arg(long, default_value_t = DEFAULT_ROW_GROUP_ROWS, value_parser = parse_count)]
    pub row_group_rows: u64,
    /// Most rows in one file; a day with more rows is split into even files.
    #[arg(long, default_value_t = DEFAULT_MAX_ROWS_PER_FILE, value_parser = parse_count)]
    pub max_rows_per_file: u64,
    /// Folder layout: `date` (event_date=YYYY-MM-DD/ folders) or `none` (flat files).
    #[arg(long, value_parser = choice::<PartitionBy>(), default_value = "date")]
    pub partition_by: PartitionBy,
    /// Replace the earlier output in --out: only the files its _manifest.json lists (and this
    /// tool's staged and marker files) are removed. A folder holding any other file, at any depth,
    /// or no manifest of this tool, is refused before anything is removed.
    #[arg(long)]
    pub overwrite: bool,
    /// Split the dataset's files into N parts, one run each (e.g. one per machine); needs --part.
    #[arg(long, value_name = "N", requires = "part")]
    pub parts: Option<u32>,
    /// Write only part K (1..=N) of --parts: its files and `_parts/part-K-of-N.json`, the same
    /// bytes a single run writes for them. `customer-events commit OUT` merges the parts.
    #[arg(long, value_name = "K", requires = "parts")]
    pub part: Option<u32>,
    /// Continue an interrupted run in --out (same flags and config): keep the files its
    /// _progress.jsonl journal lists and that match on disk, write the rest.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Write a lakehouse table: `delta` writes the Parquet files plus a Delta Lake log
    /// (_delta_log/) whose version 0 records the seed, world options and last day; grow it with
    /// `customer-events append`. Needs --events-per-day. --out may be a folder or an object store
    /// prefix.
    #[arg(long, value_parser = PossibleValuesParser::new(["delta"]), value_name = "FORMAT")]
    pub table: Option<String>,
    /// With --table delta: after every N-th version, a checkpoint of the table's state, so readers
    /// need not replay every commit; recorded as the table's delta.checkpointInterval, which
    /// `append` honours (also when changed by another tool) [default: 10].
    #[arg(long, value_name = "N", requires = "table", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_interval: Option<u64>,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of events to print.
    #[arg(long, default_value_t = 3, value_parser = parse_count)]
    pub count: u64,
    #[command(flatten)]
    pub dataset: DatasetArgs,
}

/// Flags of `stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Where to: `-` (standard output, one JSON line per event) or a Kafka topic,
    /// `kafka://HOST:PORT/TOPIC` (created when missing; records keyed by user_id).
    #[arg(long, default_value = "-", value_name = "DEST")]
    pub to: String,
    /// Kafka record values: `json` (the lines of `generate --format ndjson`) or `avro` (binary
    /// datums of schemas/events.avsc, `schema --format avro`).
    #[arg(long, value_name = "F", default_value = "json", value_parser = ["json", "avro"])]
    pub format: String,
    /// Partitions of a Kafka topic the stream creates.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    pub partitions: i32,
    /// Replicas of each partition of a Kafka topic the stream creates.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub replication: i32,
    /// Continue a stopped stream into its Kafka topic: events the topic's partitions already
    /// hold are skipped, the rest sent (no duplicate, no gap).
    #[arg(long, conflicts_with = "from_event")]
    pub resume: bool,
    /// Number of events: 10k, 5M, 1_000_000 [default: 1M], shared out over the days.
    #[arg(long, value_parser = parse_count, conflicts_with = "realtime")]
    pub rows: Option<u64>,
    /// Events of an average day instead of --rows (as in `generate`); with --realtime
    /// [default: 1M, about 12 a second].
    #[arg(long, value_parser = parse_count, conflicts_with = "rows", value_name = "N")]
    pub events_per_day: Option<u64>,
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Release N events a second, steadily (a token bucket) [default: as fast as possible].
    #[arg(long, value_name = "N", value_parser = parse_rate, conflicts_with = "realtime")]
    pub rate: Option<f64>,
    /// Play the timeline against the wall clock from now on, without end (or for --days): each
    /// event is released when its timestamp comes; today's earlier events are skipped.
    #[arg(long, conflicts_with_all = ["start", "from_event"])]
    pub realtime: bool,
    /// With --realtime: timeline seconds per wall-clock second (60 plays an hour a minute).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_rate, requires = "realtime")]
    pub speed: f64,
    /// Start at event N (0 is the first): continues a stream stopped after N events.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_count)]
    pub from_event: u64,
    /// No summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A positive, finite number of events (or timeline seconds) per second.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{text}' is not a positive number, e.g. 1000 or 2.5")),
    }
}

/// Flags of `config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print the documented default config (TOML).
    #[arg(long)]
    pub default: bool,
}

/// The parser of a flag whose values are a library [`Choice`]: `--help`
/// lists every value with its description.
fn choice<T: Choice + Send + Sync>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        T::ALL
            .iter()
            .map(|value| PossibleValue::new(value.name()).help(value.description())),
    )
    .map(|name| parse_choice(&name).expect("clap accepts only the listed names"))
}

fn parse_compression(text: &str) -> Result<Compression, String> {
    text.parse()
}

/// The config file at `path` (`--config`).
fn read_config(path: &Path) -> Result<Config, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Option {
        flag: "--config",
        message: format!("cannot read {} ({e})", path.display()),
    })?;
    Ok(Config::from_toml_file(path, &text)?)
}

impl DatasetArgs {
    /// The config file (or the default) with the flags applied.
    fn resolve(&self, rows: Option<u64>, events_per_day: Option<u64>) -> Result<Config, Error> {
        let mut config = match &self.config {
            Some(path) => read_config(path)?,
            None => Config::default(),
        };
        let flag_error = |flag: &'static str, message: &str| Error::Option {
            flag,
            message: message.into(),
        };
        if let Some(rows) = rows {
            if rows == 0 {
                return Err(flag_error("--rows", "must be at least 1, e.g. --rows 1M"));
            }
            config.rows = rows;
            config.events_per_day = None;
        }
        if let Some(per_day) = events_per_day {
            if per_day == 0 {
                return Err(flag_error(
                    "--events-per-day",
                    "must be at least 1, e.g. --events-per-day 1M",
                ));
            }
            config.events_per_day = Some(per_day);
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(start) = self.start {
            config.start = start;
        }
        if let Some(days) = self.days {
            if days == 0 {
                return Err(flag_error("--days", "must be at least 1, e.g. --days 7"));
            }
            config.days = days;
        }
        if let Some(users) = self.users {
            if users == 0 {
                return Err(flag_error(
                    "--users",
                    "must be at least 1 (leave it out to scale with --rows)",
                ));
            }
            config.users = Some(users);
        }
        if let Some(size) = self.catalog_size {
            config.catalog_size = size;
        }
        if let Some(epoch) = self.epoch {
            config.epoch = Some(epoch);
        }
        config.settle_rows();
        config.validate()?;
        Ok(config)
    }
}

/// A terminal progress bar (rows, bytes, rate, ETA).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn advance(&self, rows: u64, bytes: u64) {
        self.0.inc(rows);
        self.0.set_message(human_bytes(bytes));
    }
}

/// `1.5 GiB`-style sizes.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

fn with_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs a parsed command line; `generate` and `sample` stop with
/// [`Error::Interrupted`] once `cancel` is cancelled.
///
/// # Errors
/// Any [`Error`] of the library.
pub fn run(cli: Cli, cancel: &Cancel) -> Result<(), Error> {
    match cli.command {
        Command::Generate(args) => run_generate(args, cancel),
        Command::Sample(args) => run_sample(args, cancel),
        Command::Stream(args) => run_stream(args, cancel),
        Command::Config(args) => {
            if !args.default {
                return Err(Error::Option {
                    flag: "config",
                    message: "pass --default to print the default config".into(),
                });
            }
            print!("{DEFAULT_CONFIG_TOML}");
            Ok(())
        }
        Command::Verify(args) => run_verify(&args),
        Command::Append(args) => {
            let bar = progress_bar(0, args.quiet);
            let part = match (args.parts, args.part) {
                (Some(parts), Some(part)) => Some(PartOf::new(parts, part)?),
                _ => None,
            };
            let commit = table::append_delta(&args.table, args.days, args.threads, part, &Bar(bar.clone()), cancel);
            bar.finish_and_clear();
            report_commit(&commit?, &args.table, args.quiet);
            Ok(())
        }
        Command::Schema(args) => {
            let mut faults = match &args.config {
                Some(path) => read_config(path)?.faults,
                None => FaultsConfig::NONE,
            };
            if let Some(preset) = args.faults {
                faults = preset;
            }
            print!("{}", args.format.render(&event_schema_of(faults.missing_values > 0.0)));
            Ok(())
        }
        Command::Commit(args) => {
            let store = if customer_events::sink::object::is_object_url(&args.out) {
                Some(customer_events::sink::object::ObjectOutput::open(&args.out)?)
            } else {
                None
            };
            let place = match &store {
                Some(store) => parts::Place::Store(store),
                None => parts::Place::Folder(&args.out),
            };
            match parts::commit(place)? {
                Committed::Now { parts } => eprintln!("committed {parts} parts in {}", args.out.display()),
                Committed::Already => eprintln!("{} is already committed", args.out.display()),
            }
            Ok(())
        }
    }
}

/// A progress bar of `rows` events on a terminal, hidden otherwise or when `quiet`.
fn progress_bar(rows: u64, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(rows);
    if !quiet && std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} events, {msg} ({per_sec}, ETA {eta})",
            )
            .expect("valid progress template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

/// The one-line summary of a table commit (or of a part's run).
fn report_commit(commit: &table::TableCommit, table: &std::path::Path, quiet: bool) {
    if !quiet && !commit.committed {
        eprintln!(
            "staged a part of version {} of the Delta table {}: {} events in {} files ({}) in {:.1} s; {}",
            commit.version,
            table.display(),
            with_thousands(commit.summary.rows),
            commit.summary.files.len(),
            human_bytes(commit.summary.bytes),
            commit.summary.elapsed.as_secs_f64(),
            if commit.staged_whole {
                "every part is staged, and another run holding the table's lock commits the version \
                 (if none does, rerun any part)"
            } else {
                "the last part to finish commits the version"
            }
        );
    } else if !quiet {
        eprintln!(
            "committed version {} of the Delta table {}: {} events of {} ..= {} in {} files ({}) in {:.1} s{}",
            commit.version,
            table.display(),
            with_thousands(commit.summary.rows),
            commit.days.0,
            commit.days.1,
            commit.summary.files.len(),
            human_bytes(commit.summary.bytes),
            commit.summary.elapsed.as_secs_f64(),
            if commit.checkpoint.is_some() {
                ", and its checkpoint"
            } else {
                ""
            },
        );
    }
    // Said even under --quiet: the version is committed, but readers
    // replay its commits until the next checkpoint.
    if let Some(why) = &commit.checkpoint_error {
        eprintln!(
            "warning: version {} is committed, but its checkpoint could not be written ({why}); \
             readers read the same table from its commits",
            commit.version
        );
    }
}

fn run_generate(args: GenerateArgs, cancel: &Cancel) -> Result<(), Error> {
    let mut config = args.dataset.resolve(args.rows, args.events_per_day)?;
    if let Some(faults) = args.faults {
        config.faults = faults;
    }
    let options = OutputOptions {
        out: args.out.clone(),
        format: args.format,
        layout: args.layout,
        compression: args.compression,
        row_group_rows: args.row_group_rows,
        max_rows_per_file: args.max_rows_per_file,
        partition_by: args.partition_by,
        string_statistics: args.string_statistics,
        overwrite: args.overwrite,
        resume: args.resume,
        threads: args.threads,
        part: match (args.parts, args.part) {
            (Some(parts), Some(part)) => Some(PartOf::new(parts, part)?),
            _ => None,
        },
    };
    for note in options.notes() {
        eprintln!("customer-events: note: {note}");
    }
    let bar = progress_bar(config.rows, args.quiet);
    if args.table.is_some() {
        let commit = table::create_delta(config, &options, args.checkpoint_interval, &Bar(bar.clone()), cancel);
        bar.finish_and_clear();
        report_commit(&commit?, &options.out, args.quiet);
        return Ok(());
    }
    let outcome = engine::run(config, &options, &Bar(bar.clone()), cancel);
    bar.finish_and_clear();
    let outcome = outcome?;
    let summary = &outcome.summary;
    if !args.quiet {
        let secs = summary.elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "{} {} events ({} cells) in {} files ({}) {} in {:.1} s: {} events/s, {} cells/s",
            if options.is_null() { "generated" } else { "wrote" },
            with_thousands(summary.rows),
            with_thousands(summary.cells),
            summary.files.len(),
            human_bytes(summary.bytes),
            if options.is_null() {
                "discarded (null:)".to_string()
            } else {
                format!("to {}", options.out.display())
            },
            secs,
            with_thousands((summary.rows as f64 / secs) as u64),
            with_thousands((summary.cells as f64 / secs) as u64),
        );
        if let Some(part) = options.part.filter(|_| !options.is_null()) {
            if outcome.committed {
                eprintln!("all {} parts are in {}: committed", part.parts, options.out.display());
            } else {
                eprintln!(
                    "part {} of {} done; once every part's files are in {}, run `customer-events commit {}`",
                    part.part,
                    part.parts,
                    options.out.display(),
                    options.out.display()
                );
            }
        }
    }
    Ok(())
}

fn run_verify(args: &VerifyArgs) -> Result<(), Error> {
    let problems = customer_events::verify::verify(&args.out)?;
    let mut stdout = std::io::stdout().lock();
    for problem in &problems {
        writeln!(stdout, "{problem}").map_err(|e| Error::io("stdout", e))?;
    }
    if !problems.is_empty() {
        return Err(Error::Damaged {
            path: args.out.clone(),
            problems: problems.len(),
        });
    }
    writeln!(
        stdout,
        "{}: intact, every file matches {}",
        args.out.display(),
        if args.out.join("_manifest.json").exists() {
            "_manifest.json"
        } else {
            "the Delta log"
        }
    )
    .map_err(|e| Error::io("stdout", e))
}

fn run_sample(args: SampleArgs, cancel: &Cancel) -> Result<(), Error> {
    if args.count == 0 {
        return Err(Error::Option {
            flag: "--count",
            message: "must be at least 1".into(),
        });
    }
    let config = args.dataset.resolve(Some(args.count), None)?;
    let world = World::new(config)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut event = Default::default();
    let mut planned = world.plan_rows(0..0);
    for row in 0..world.rows() {
        if cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        if row >= planned.first_row + planned.rows.len() as u64 {
            let rows = row..world.rows().min(row + SAMPLE_PLAN_ROWS);
            planned = world.plan_rows_until(rows, cancel).ok_or(Error::Interrupted)?;
        }
        world.fill_planned(&planned, (row - planned.first_row) as usize, &mut event);
        let written = serde_json::to_writer(&mut out, &event)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"));
        written.map_err(|e| Error::io("stdout", e))?;
    }
    out.flush().map_err(|e| Error::io("stdout", e))
}

/// Standard output as a stream's sink: a line per event, flushed as the
/// pace releases them (so a paced stream reaches a pipe when released).
struct StdoutSink {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    written: u64,
    paced: bool,
}

impl stream::EventSink for StdoutSink {
    fn send(&mut self, _index: u64, _event: &customer_events::Event<'_>, line: &[u8]) -> Result<(), Error> {
        self.out.write_all(line).map_err(|e| Error::io("stdout", e))?;
        if self.paced {
            self.out.flush().map_err(|e| Error::io("stdout", e))?;
        }
        self.written += 1;
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, Error> {
        self.out.flush().map_err(|e| Error::io("stdout", e))?;
        Ok(self.written)
    }
}

fn run_stream(args: StreamArgs, cancel: &Cancel) -> Result<(), Error> {
    let to_kafka = args.to.starts_with("kafka://");
    if args.to != "-" && !to_kafka {
        return Err(Error::Option {
            flag: "--to",
            message: format!(
                "'{}' is not a destination streams go to; pass --to - (standard output) or --to kafka://HOST:PORT/TOPIC",
                args.to
            ),
        });
    }
    if args.resume && !to_kafka {
        return Err(Error::Option {
            flag: "--resume",
            message: "continues a stream into a Kafka topic; standard output continues with --from-event N".into(),
        });
    }
    let (pace, extent, from_time) = if args.realtime {
        let now = chrono::Utc::now();
        let pace = stream::Pace::Realtime {
            speed: args.speed,
            origin: now.timestamp_micros(),
        };
        let extent = if args.dataset.days.is_some() {
            stream::Extent::Dataset
        } else {
            stream::Extent::Unbounded
        };
        (pace, extent, Some(now.timestamp_micros()))
    } else {
        let pace = args.rate.map_or(stream::Pace::Unpaced, stream::Pace::Rate);
        (pace, stream::Extent::Dataset, None)
    };
    let events_per_day = match (args.realtime, args.events_per_day) {
        (true, None) => Some(1_000_000),
        (_, per_day) => per_day,
    };
    let mut config = args.dataset.resolve(args.rows, events_per_day)?;
    if let Some(from) = from_time {
        // From today on (UTC), a week per window.
        config.start = chrono::DateTime::from_timestamp_micros(from).expect("now").date_naive();
        if args.dataset.days.is_none() {
            config.days = 7;
        }
        config.settle_rows();
        config.validate()?;
    }
    let format = if args.format == "avro" {
        stream::StreamFormat::Avro
    } else {
        stream::StreamFormat::Json
    };
    if format == stream::StreamFormat::Avro && !to_kafka {
        return Err(Error::Option {
            flag: "--format",
            message: "avro values go to a Kafka topic (--to kafka://HOST:PORT/TOPIC); standard output takes JSON lines"
                .into(),
        });
    }
    let options = stream::StreamOptions {
        format,
        pace,
        extent,
        from_event: args.from_event,
        from_time,
    };
    if to_kafka {
        return run_kafka_stream(&args, config, options, cancel);
    }
    let mut sink = StdoutSink {
        out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
        written: 0,
        paced: pace != stream::Pace::Unpaced,
    };
    let started = std::time::Instant::now();
    let report = stream::stream(config, &options, &mut sink, cancel)?;
    if report.stopped {
        if args.realtime {
            // A realtime stream goes on from the instant it is run.
            eprintln!(
                "customer-events: stopped after {} events; run the same command to stream again from now",
                with_thousands(report.delivered)
            );
        } else {
            let again = continue_command("--from-event", Some(report.next_event));
            eprintln!(
                "customer-events: stopped after {} events; continue with: {again}",
                with_thousands(report.delivered)
            );
        }
        return Err(Error::Interrupted);
    }
    if !args.quiet {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "streamed {} events in {seconds:.1} s ({} events/s)",
            with_thousands(report.delivered),
            with_thousands((report.delivered as f64 / seconds.max(1e-9)) as u64)
        );
    }
    Ok(())
}

/// Streams into a Kafka topic: creates it when missing, refuses one that
/// holds records unless `--resume`, then sends and reports what the broker
/// acknowledged.
#[cfg(feature = "kafka")]
fn run_kafka_stream(
    args: &StreamArgs,
    config: customer_events::Config,
    mut options: stream::StreamOptions,
    cancel: &Cancel,
) -> Result<(), Error> {
    use customer_events::kafka::{KafkaSink, KafkaTarget, TopicSpec, stream_id};
    let target = KafkaTarget::parse(&args.to).expect("a kafka:// address")?;
    let url = target.url();
    let spec = TopicSpec {
        partitions: args.partitions,
        replication: args.replication,
    };
    let id = stream_id(&config, options.format);
    let mut sink = KafkaSink::connect(target, spec, options.format, id, args.resume)?;
    if sink.holds_any() {
        // Continue after what the topic holds. A realtime stream sends the
        // events it missed at once, then plays on from now, or, when it had
        // run ahead of the clock (--speed), from where it stopped.
        options.from_event = options.from_event.max(sink.first_not_held());
        options.from_time = None;
        if let stream::Pace::Realtime { speed, origin } = options.pace {
            let origin = origin.max(sink.held_until().unwrap_or(origin));
            options.pace = stream::Pace::Realtime { speed, origin };
        }
    }
    // A bar of the events sent (the dataset's, or a spinner for an unbounded
    // stream) on a terminal; standard output is not the data here.
    let bar = progress_bar(config.rows, args.quiet);
    if options.extent == stream::Extent::Unbounded {
        bar.set_length(0);
    }
    bar.set_position(options.from_event);
    bar.set_message(format!("to {url}"));
    let started = std::time::Instant::now();
    let report = stream::stream(
        config,
        &options,
        &mut ShownSink {
            sink: &mut sink,
            bar: &bar,
        },
        cancel,
    );
    bar.finish_and_clear();
    let report = report?;
    if report.stopped {
        eprintln!(
            "customer-events: stopped; {url} acknowledged {} events of this run; continue with: {}",
            with_thousands(report.delivered),
            continue_command("--resume", None)
        );
        return Err(Error::Interrupted);
    }
    if !args.quiet {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "streamed {} events to {url} ({} partitions) in {seconds:.1} s ({} events/s)",
            with_thousands(report.delivered),
            sink.partitions(),
            with_thousands((report.delivered as f64 / seconds.max(1e-9)) as u64)
        );
    }
    Ok(())
}

/// A sink whose sent events advance a progress bar.
#[cfg(feature = "kafka")]
struct ShownSink<'a, S> {
    sink: &'a mut S,
    bar: &'a ProgressBar,
}

#[cfg(feature = "kafka")]
impl<S: stream::EventSink> stream::EventSink for ShownSink<'_, S> {
    fn holds(&self, index: u64, event: &customer_events::Event<'_>) -> bool {
        self.sink.holds(index, event)
    }

    fn send(&mut self, index: u64, event: &customer_events::Event<'_>, line: &[u8]) -> Result<(), Error> {
        self.sink.send(index, event, line)?;
        self.bar.set_position(index + 1);
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, Error> {
        self.sink.flush()
    }
}

/// Without the `kafka` feature: one line saying how to build with it.
#[cfg(not(feature = "kafka"))]
fn run_kafka_stream(
    _args: &StreamArgs,
    _config: customer_events::Config,
    _options: stream::StreamOptions,
    _cancel: &Cancel,
) -> Result<(), Error> {
    Err(Error::Option {
        flag: "--to",
        message: "this build has no Kafka support; build it with `cargo build --release --features kafka`".into(),
    })
}

/// This run's command line with `flag` (and its value, if `value` is
/// given) in place of its own.
fn continue_command(flag: &str, value: Option<u64>) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut args = std::env::args();
    words.push(args.next().unwrap_or_else(|| "customer-events".into()));
    let with_value = format!("{flag}=");
    while let Some(arg) = args.next() {
        if arg == flag {
            if value.is_some() {
                args.next();
            }
        } else if !arg.starts_with(&with_value) {
            words.push(arg);
        }
    }
    words.push(flag.into());
    words.extend(value.map(|v| v.to_string()));
    words.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ")
}

/// `word` as a POSIX shell reads it back: bare when it is safe, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Rows `sample` plans at a time.
const SAMPLE_PLAN_ROWS: u64 = 4_096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(with_thousands(1_234_567), "1,234,567");
        assert_eq!(with_thousands(999), "999");
    }
}
