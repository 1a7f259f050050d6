//! The integration tests, built as one binary so that the suite links once:
//! each module checks one area through the built `customer-events` binary or
//! the library, and `common` holds what they share (running the binary,
//! reading its Parquet back).

mod common;

mod cli;
mod coherence;
mod config;
mod delta;
mod dirty;
mod faults;
mod formats;
mod json_agreement;
mod lifecycle;
mod parquet_parity;
mod parts;
mod resume;
mod schemas;
mod sessions;
mod sink_seam;
mod stream;
mod taste;
mod timeline;
mod verify;
