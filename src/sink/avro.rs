//! One event as an Avro binary datum of `schemas/events.avsc` (`schema
//! --format avro`): the value of a Kafka record in `stream --format avro`.
//!
//! The encoding is Avro 1.11's: fields in the schema's order; `int` and
//! `long` as zig-zag varints; `double` as 8 little-endian bytes; `boolean`
//! as one byte; `string` as its length then its UTF-8 bytes; a union as the
//! branch's index then its value (`["null", T]`: 0 for null, 1 for T);
//! an array as one block (the count, the items) and a 0; `timestamp-micros`
//! as a `long` of microseconds, `date` as an `int` of days since the epoch.
//! A datum carries no schema: readers decode it with the schema file.

use std::fmt::Display;
use std::io::Write;

use crate::model::Event;
use crate::vocab::Word;

/// Writes Avro datums, keeping one scratch buffer for values that are
/// formatted before their length is known (versions, bandwidths).
#[derive(Debug, Default)]
pub struct AvroWriter {
    scratch: Vec<u8>,
}

impl AvroWriter {
    /// Appends `event` to `out` as one datum.
    pub fn write_event(&mut self, out: &mut Vec<u8>, event: &Event<'_>) {
        uuid(out, event.event_id);
        uuid(out, event.user_id);
        word(out, event.event_type);
        long(out, event.timestamp.0);

        let device = &event.device;
        word(out, device.device_type);
        word(out, device.os);
        self.display(out, device.os_version);
        self.display(out, device.app_version);
        word(out, device.model);

        let location = &event.location;
        word(out, location.country);
        word(out, location.city);
        word(out, location.region);
        word(out, location.timezone);

        let content = &event.content;
        uuid(out, content.id);
        string(out, content.title);
        word(out, content.content_type);
        optional(out, content.episode, |out, v| long(out, i64::from(v)));
        optional(out, content.season, |out, v| long(out, i64::from(v)));
        word(out, content.provider);
        word(out, content.genre);
        long(out, i64::from(content.release_year));
        long(out, i64::from(content.duration));
        word(out, content.language);

        let subscription = &event.user_subscription;
        word(out, subscription.plan);
        long(out, i64::from(subscription.start_date.0));
        word(out, subscription.billing_cycle);
        array(out, subscription.connected_services.0.count_ones() as usize);
        for service in subscription.connected_services.words() {
            word(out, service);
        }
        end_array(out);

        match &event.event_details {
            None => long(out, 0),
            Some(details) => {
                long(out, 1);
                long(out, i64::from(details.play_duration));
                double(out, details.play_percentage);
                word(out, details.playback_quality);
                long(out, i64::from(details.buffering_incidents));
                double(out, details.playback_speed);
                boolean(out, details.paused);
                boolean(out, details.completed);
                word(out, details.network_type);
                self.display(out, details.bandwidth);
            }
        }

        array(out, event.user_action.len());
        for action in &event.user_action {
            word(out, action.action_type);
            long(out, action.timestamp.0);
            optional(out, action.duration, |out, v| long(out, i64::from(v)));
            optional(out, action.completed, boolean);
            optional(out, action.old_quality, word);
            optional(out, action.new_quality, word);
            optional(out, action.old_speed, double);
            optional(out, action.new_speed, double);
        }
        end_array(out);

        array(out, event.recommendations.len());
        for recommendation in &event.recommendations {
            uuid(out, recommendation.content_id);
            long(out, i64::from(recommendation.position));
            word(out, recommendation.algorithm);
            boolean(out, recommendation.clicked);
        }
        end_array(out);

        array(out, event.search_history.len());
        for search in &event.search_history {
            uuid(out, search.search_id);
            long(out, search.timestamp.0);
            string(out, search.query);
            long(out, i64::from(search.results_count));
        }
        end_array(out);
    }

    /// A value's text as a `string`.
    fn display(&mut self, out: &mut Vec<u8>, value: impl Display) {
        self.scratch.clear();
        write!(self.scratch, "{value}").expect("writing to a Vec");
        long(out, self.scratch.len() as i64);
        out.extend_from_slice(&self.scratch);
    }
}

/// A zig-zag varint (`int` and `long`).
#[inline]
fn long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[inline]
fn double(out: &mut Vec<u8>, value: f64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[inline]
fn boolean(out: &mut Vec<u8>, value: bool) {
    out.push(u8::from(value));
}

#[inline]
fn string(out: &mut Vec<u8>, text: &str) {
    long(out, text.len() as i64);
    out.extend_from_slice(text.as_bytes());
}

#[inline]
fn word(out: &mut Vec<u8>, word: Word) {
    string(out, word.as_str());
}

#[inline]
fn uuid(out: &mut Vec<u8>, id: crate::model::Uuid) {
    long(out, 36);
    out.extend_from_slice(&id.to_bytes());
}

/// A `["null", T]` union.
#[inline]
fn optional<T>(out: &mut Vec<u8>, value: Option<T>, write: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        None => long(out, 0),
        Some(v) => {
            long(out, 1);
            write(out, v);
        }
    }
}

/// An array's block count (nothing for an empty array: its end marker is all).
#[inline]
fn array(out: &mut Vec<u8>, items: usize) {
    if items > 0 {
        long(out, items as i64);
    }
}

/// An array's end marker.
#[inline]
fn end_array(out: &mut Vec<u8>) {
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_zig_zag_varints() {
        // The Avro specification's examples.
        for (value, bytes) in [
            (0i64, &[0x00][..]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
        ] {
            let mut out = Vec::new();
            long(&mut out, value);
            assert_eq!(out, bytes, "{value}");
        }
        let mut out = Vec::new();
        string(&mut out, "foo");
        assert_eq!(out, [0x06, b'f', b'o', b'o']);
    }
}
