//! Streaming: a dataset's events one at a time, in timestamp order, as the
//! JSON lines of `generate --format ndjson` (or Avro datums), paced as fast as possible, at a
//! steady rate (a token bucket) or against the wall clock (an event is
//! released when its timestamp comes, the timeline possibly sped up), into
//! an [`EventSink`] (standard output, a topic).
//!
//! The events are the dataset's rows in row order, which is timestamp order
//! (a day's rows are its events in time order, days follow each other). An
//! unbounded stream (`Extent::Unbounded`) goes on window after window of
//! the config's length, each the same days as one long run would hold (the
//! day-keyed timeline of `--events-per-day`).

use std::ops::Range;
use std::time::{Duration, Instant};

use chrono::Days;

use crate::cancel::Cancel;
use crate::config::Config;
use crate::error::Error;
use crate::model::Event;
use crate::sink::avro::AvroWriter;
use crate::sink::ndjson::write_event;
use crate::world::World;

/// How fast events are released.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// As fast as the sink takes them.
    Unpaced,
    /// `n` events a second, steadily: event `k` no earlier than `k / n`
    /// seconds after the first, with a burst of a tenth of a second at most
    /// after a sink that stalled.
    Rate(f64),
    /// When the wall clock reaches the event's timestamp, the timeline
    /// running `speed` times faster than the clock from the instant the
    /// stream starts, which plays the timeline's `origin` (1 plays it as
    /// it happens). Events before `origin` are due at once (a stream that
    /// catches up).
    Realtime {
        /// Timeline seconds per wall-clock second.
        speed: f64,
        /// The timeline's instant (µs since the Unix epoch) at the start.
        origin: i64,
    },
}

/// Decides when each event may be released.
#[derive(Debug)]
pub struct Pacer {
    pace: Pace,
    /// The wall clock at the stream's start.
    origin: Instant,
    /// The timeline's instant at `origin` (µs since the Unix epoch).
    origin_time: i64,
    /// Rate: when the next event is due.
    next_due: Instant,
}

impl Pacer {
    /// A pacer starting now.
    pub fn new(pace: Pace) -> Self {
        let origin = Instant::now();
        let origin_time = match pace {
            Pace::Realtime { origin, .. } => origin,
            _ => 0,
        };
        Pacer {
            pace,
            origin,
            origin_time,
            next_due: origin,
        }
    }

    /// How long to wait, at `now`, before releasing the next event, whose
    /// timestamp is `time` (µs); zero when it is due. Each call counts one
    /// event released when the wait is over.
    pub fn wait(&mut self, time: i64, now: Instant) -> Duration {
        match self.pace {
            Pace::Unpaced => Duration::ZERO,
            Pace::Rate(per_second) => {
                let interval = Duration::from_secs_f64(1.0 / per_second);
                // A stalled sink catches up by a tenth of a second at most.
                let burst = Duration::from_millis(100).max(interval);
                let due = self.next_due.max(now.checked_sub(burst).unwrap_or(now));
                self.next_due = due + interval;
                due.saturating_duration_since(now)
            }
            Pace::Realtime { speed, .. } => {
                let ahead_micros = (time - self.origin_time) as f64 / speed;
                let due = self.origin + Duration::from_micros(ahead_micros.max(0.0) as u64);
                due.saturating_duration_since(now)
            }
        }
    }
}

/// Where streamed events go.
pub trait EventSink {
    /// Whether the destination already holds event `index` (a topic a
    /// stopped stream wrote into): such an event is skipped, not sent, and
    /// not paced.
    fn holds(&self, _index: u64, _event: &Event<'_>) -> bool {
        false
    }

    /// Takes event number `index` of the stream (from 0 at the dataset's
    /// first event), encoded as `line`: its JSON line (with the newline) or
    /// its Avro datum, as [`StreamOptions::format`] says.
    ///
    /// # Errors
    /// The sink's, e.g. [`Error::Io`] when standard output is closed.
    fn send(&mut self, index: u64, event: &Event<'_>, line: &[u8]) -> Result<(), Error>;

    /// Delivers what was sent; returns how many events the destination has
    /// (acknowledged, for a broker) since the sink was made.
    ///
    /// # Errors
    /// The sink's.
    fn flush(&mut self) -> Result<u64, Error>;
}

/// How far a stream goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// The config's days.
    Dataset,
    /// The config's days, then the next as many, without end (the config
    /// must give events per day).
    Unbounded,
}

/// How each event is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamFormat {
    /// The JSON line of `generate --format ndjson` (with its newline).
    #[default]
    Json,
    /// An Avro binary datum of `schemas/events.avsc` ([`AvroWriter`]).
    Avro,
}

impl StreamFormat {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            StreamFormat::Json => "json",
            StreamFormat::Avro => "avro",
        }
    }
}

/// What to stream.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// How each event is encoded.
    pub format: StreamFormat,
    /// How fast.
    pub pace: Pace,
    /// How far.
    pub extent: Extent,
    /// The first event to send (events before it are skipped, not sent).
    pub from_event: u64,
    /// Events before this instant (µs since the Unix epoch) are skipped,
    /// not sent (a realtime stream starts now); they keep their indices.
    pub from_time: Option<i64>,
}

/// How a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamReport {
    /// Events the sink took.
    pub sent: u64,
    /// Events the destination holds, by the sink's last flush.
    pub delivered: u64,
    /// The index of the first event not delivered (`--from-event` of a
    /// stream that continues this one), for a sink that holds events in
    /// the order sent (standard output).
    pub next_event: u64,
    /// Whether the stream stopped before its end (cancelled).
    pub stopped: bool,
}

/// Rows planned at a time.
const PLAN_ROWS: u64 = 4_096;

/// Sends the events of `config` (validated, rows settled) from
/// `options.from_event` on into `sink`, paced by `options.pace`, until the
/// dataset ends or `cancel` is set; the sink is flushed in both cases.
///
/// # Errors
/// [`Error::Config`] when an unbounded stream has no events per day; the
/// sink's errors.
pub fn stream(
    config: Config,
    options: &StreamOptions,
    sink: &mut dyn EventSink,
    cancel: &Cancel,
) -> Result<StreamReport, Error> {
    if options.extent == Extent::Unbounded && config.events_per_day.is_none() {
        return Err(Error::Config {
            at: None,
            key: "events_per_day".into(),
            message: "an unbounded stream needs events per day (--events-per-day N)".into(),
        });
    }
    if !config.faults.is_off() {
        return Err(Error::Config {
            at: None,
            key: "faults".into(),
            message: "a stream is sent without faults yet; remove [faults] from the config".into(),
        });
    }
    let mut pacer = Pacer::new(options.pace);
    let mut line = Vec::with_capacity(4096);
    let mut avro = AvroWriter::default();
    let mut index = 0u64;
    let mut sent = 0u64;
    let mut first_sent: Option<u64> = None;
    let mut window = config;
    let stopped = 'windows: loop {
        let world = World::new(window.clone())?;
        let mut event = Event::default();
        let rows = world.rows();
        // Skip whole windows before the first event wanted.
        if index + rows <= options.from_event {
            index += rows;
        } else {
            let first = options.from_event.saturating_sub(index);
            let mut planned_rows: Range<u64> = first..first;
            let mut planned = world.plan_rows(0..0);
            index += first;
            for row in first..rows {
                if row >= planned_rows.end {
                    planned_rows = row..rows.min(row + PLAN_ROWS);
                    match world.plan_rows_until(planned_rows.clone(), cancel) {
                        Some(p) => planned = p,
                        None => break 'windows true,
                    }
                }
                let i = (row - planned_rows.start) as usize;
                let time = planned.rows[i].step.time;
                if options.from_time.is_some_and(|from| time < from) {
                    index += 1;
                    continue;
                }
                world.fill_planned(&planned, i, &mut event);
                if sink.holds(index, &event) {
                    index += 1;
                    continue;
                }
                let wait = pacer.wait(time, Instant::now());
                if !wait.is_zero() && !sleep_unless_cancelled(wait, cancel) {
                    break 'windows true;
                }
                if cancel.is_cancelled() {
                    break 'windows true;
                }
                line.clear();
                match options.format {
                    StreamFormat::Json => write_event(&mut line, &event)?,
                    StreamFormat::Avro => avro.write_event(&mut line, &event),
                }
                sink.send(index, &event, &line)?;
                first_sent.get_or_insert(index);
                index += 1;
                sent += 1;
            }
        }
        if options.extent == Extent::Dataset {
            break false;
        }
        let days = window.days;
        window.start = window
            .start
            .checked_add_days(Days::new(days as u64))
            .ok_or_else(|| Error::Config {
                at: None,
                key: "start".into(),
                message: "the stream ran past the last date chrono knows".into(),
            })?;
        window.settle_rows();
    };
    let delivered = sink.flush()?;
    Ok(StreamReport {
        sent,
        delivered,
        next_event: first_sent.unwrap_or(index) + delivered,
        stopped,
    })
}

/// Sleeps for `wait`, waking every tenth of a second to look at `cancel`;
/// false when cancelled.
fn sleep_unless_cancelled(wait: Duration, cancel: &Cancel) -> bool {
    let until = Instant::now() + wait;
    loop {
        if cancel.is_cancelled() {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_spaces_events_evenly_and_catches_up_only_a_little() {
        let mut pacer = Pacer::new(Pace::Rate(100.0));
        let start = pacer.origin;
        assert_eq!(pacer.wait(0, start), Duration::ZERO);
        assert_eq!(pacer.wait(0, start), Duration::from_millis(10));
        assert_eq!(pacer.wait(0, start), Duration::from_millis(20));
        // A sink that stalled for a second gets a tenth of a second of
        // burst: the events due in it (10) and the one due now.
        let late = start + Duration::from_secs(1);
        let mut free = 0;
        while pacer.wait(0, late).is_zero() {
            free += 1;
        }
        assert_eq!(free, 11);
        assert_eq!(pacer.wait(0, late), Duration::from_millis(20));
    }

    #[test]
    fn realtime_releases_an_event_when_its_time_comes() {
        let mut pacer = Pacer::new(Pace::Realtime {
            speed: 60.0,
            origin: 1_000_000_000,
        });
        let start = pacer.origin;
        // A minute of timeline at 60× is a second of wall clock.
        assert_eq!(pacer.wait(1_000_000_000 + 60_000_000, start), Duration::from_secs(1));
        assert_eq!(pacer.wait(1_000_000_000 - 5, start), Duration::ZERO);
        let later = start + Duration::from_secs(2);
        assert_eq!(pacer.wait(1_000_000_000 + 60_000_000, later), Duration::ZERO);
    }
}
