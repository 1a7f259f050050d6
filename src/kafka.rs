//! Kafka as a stream's destination (the `kafka` feature): the topic's
//! address (`kafka://HOST:PORT/TOPIC`), its creation, the idempotent
//! producer that [`stream`](crate::stream::stream) sends events through,
//! and the read-back of the topic's last records that lets a stopped stream
//! continue with no duplicate and no gap.
//!
//! Each event is one record: the key is its `user_id`, placed on a
//! partition as the Java client's default partitioner places keys
//! ([`partition_of`], murmur2), so a user's events stay in order in one
//! partition; the value is the event's JSON line (as `generate --format
//! ndjson` writes it, without the newline); the record's timestamp is the
//! event's (milliseconds); with `--format avro` the value is instead the
//! event's Avro datum ([`AvroWriter`](crate::sink::avro::AvroWriter)); headers carry `schema_version`, `event_type`,
//! `event_index` (the event's number in the stream, from 0) and `stream`
//! (an id of the dataset's config: [`stream_id`]).
//!
//! Continuing (`resume`): the topic itself is the checkpoint. The producer
//! is idempotent, so each partition holds a prefix of the events sent to it,
//! in order; the last record of each partition says, by its `event_index`,
//! how far that prefix goes. A continued stream skips every event its
//! partition already holds and sends the rest.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::config::Config;
use crate::error::Error;
use crate::model::Event;
use crate::stream::{EventSink, StreamFormat};

/// How long to wait for the broker to answer a question (metadata,
/// offsets, a topic's creation) before saying it cannot be reached.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `flush` waits for the broker to acknowledge what was sent.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a stream goes: brokers and topic, from `kafka://HOST:PORT/TOPIC`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaTarget {
    /// The bootstrap servers, `host:port[,host:port…]`.
    pub brokers: String,
    /// The topic.
    pub topic: String,
}

impl KafkaTarget {
    /// `kafka://HOST[:PORT][,HOST[:PORT]…]/TOPIC` (port 9092 when left
    /// out); `None` when `text` is not a `kafka://` address.
    ///
    /// # Errors
    /// [`Error::Option`] naming `--to` when the address has no broker or no
    /// valid topic name.
    pub fn parse(text: &str) -> Option<Result<Self, Error>> {
        let rest = text.strip_prefix("kafka://")?;
        let bad = |what: &str| Error::Option {
            flag: "--to",
            message: format!(
                "'{text}' {what}; write it as kafka://HOST:PORT/TOPIC, e.g. kafka://127.0.0.1:9092/customer_events"
            ),
        };
        let Some((hosts, topic)) = rest.split_once('/') else {
            return Some(Err(bad("names no topic")));
        };
        if hosts.is_empty() || hosts.split(',').any(str::is_empty) {
            return Some(Err(bad("names no broker")));
        }
        let valid_topic = !topic.is_empty()
            && topic.len() <= 249
            && topic != "."
            && topic != ".."
            && topic.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid_topic {
            return Some(Err(bad(
                "has no valid topic name (letters, digits, '.', '_' and '-', at most 249)",
            )));
        }
        let brokers = hosts
            .split(',')
            .map(|host| {
                if host
                    .rsplit_once(':')
                    .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
                {
                    host.to_string()
                } else {
                    format!("{host}:9092")
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        Some(Ok(KafkaTarget {
            brokers,
            topic: topic.to_string(),
        }))
    }

    /// The address as the user writes it.
    pub fn url(&self) -> String {
        format!("kafka://{}/{}", self.brokers, self.topic)
    }
}

/// How a missing topic is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSpec {
    /// Partitions.
    pub partitions: i32,
    /// Replicas of each partition.
    pub replication: i32,
}

/// Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), the hash
/// of the Java client's default partitioner.
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    let mut h: u32 = 0x9747_b28c ^ data.len() as u32;
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let mut k = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = words.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition the Java client's default partitioner gives `key` among
/// `partitions`: `toPositive(murmur2(key)) % partitions`.
pub fn partition_of(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions
}

/// An id of the events a stream sends (the CRC-32 of its config and
/// format, in hex), carried by every record's `stream` header: a stream
/// continues only a topic of its own events.
pub fn stream_id(config: &Config, format: StreamFormat) -> String {
    let mut json = serde_json::to_vec(config).expect("a config serializes");
    json.extend_from_slice(format.name().as_bytes());
    format!("{:08x}", crc32fast::hash(&json))
}

/// Counts acknowledgements and keeps the first failure, for the producer's
/// delivery reports.
struct Acknowledgements {
    acknowledged: AtomicU64,
    failure: Mutex<Option<String>>,
}

impl ClientContext for Acknowledgements {}

impl ProducerContext for Acknowledgements {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                let mut failure = self.failure.lock().expect("not poisoned");
                failure.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

/// A topic as a stream's sink.
pub struct KafkaSink {
    target: KafkaTarget,
    producer: BaseProducer<Acknowledgements>,
    partitions: i32,
    format: StreamFormat,
    stream_id: String,
    /// Per partition: the `event_index` of the last event it holds.
    held: Vec<Option<u64>>,
    /// The latest record timestamp of those last events (µs).
    held_until: Option<i64>,
    sent_since_poll: u32,
    index_text: itoa::Buffer,
    user_id: [u8; 36],
}

impl KafkaSink {
    /// Connects to `target`, creates its topic as `spec` says when it is
    /// missing, and reads how far the topic's partitions go. A topic that
    /// holds records is refused unless `resume`, and then must hold this
    /// stream's own (`stream_id`). Events come encoded as `format` says.
    ///
    /// # Errors
    /// [`Error::Destination`] with the fix: no broker answers, the topic
    /// cannot be created, or it holds records it should not.
    pub fn connect(
        target: KafkaTarget,
        spec: TopicSpec,
        format: StreamFormat,
        stream_id: String,
        resume: bool,
    ) -> Result<Self, Error> {
        let refuse = |message: String| Error::Destination {
            destination: target.url(),
            message,
        };
        reach_a_broker(&target)?;
        let context = Acknowledgements {
            acknowledged: AtomicU64::new(0),
            failure: Mutex::new(None),
        };
        let producer: BaseProducer<Acknowledgements> = client_config(&target)
            .set("enable.idempotence", "true")
            .set("compression.type", "lz4")
            .set("linger.ms", "20")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "200000")
            .set("message.timeout.ms", "60000")
            .create_with_context(context)
            .map_err(|e| refuse(format!("cannot make a producer: {e}")))?;
        let (partitions, created) = match topic_partitions(&producer, &target)? {
            Some(partitions) => (partitions, false),
            None => {
                create_topic(&target, spec)?;
                (wait_for_topic(&producer, &target)?, true)
            }
        };
        let mut sink = KafkaSink {
            held: vec![None; partitions as usize],
            held_until: None,
            target,
            producer,
            partitions,
            format,
            stream_id,
            sent_since_poll: 0,
            index_text: itoa::Buffer::new(),
            user_id: [0; 36],
        };
        if !created {
            sink.read_how_far(resume)?;
        }
        Ok(sink)
    }

    /// The topic's partitions.
    pub fn partitions(&self) -> i32 {
        self.partitions
    }

    /// The first event a continued stream must look at: every event before
    /// it is held by its partition.
    pub fn first_not_held(&self) -> u64 {
        self.held
            .iter()
            .map(|h| h.map_or(0, |last| last + 1))
            .min()
            .unwrap_or(0)
    }

    /// Whether the topic held any of this stream's events when the sink was made.
    pub fn holds_any(&self) -> bool {
        self.held.iter().any(Option::is_some)
    }

    /// How far in event time the topic goes: the latest timestamp (µs) of
    /// the partitions' last records, when it holds any.
    pub fn held_until(&self) -> Option<i64> {
        self.held_until
    }

    /// Events the broker acknowledged since the sink was made.
    pub fn acknowledged(&self) -> u64 {
        self.producer.context().acknowledged.load(Ordering::Relaxed)
    }

    /// Reads the last record of every partition that has any: refused
    /// unless `resume`; then each must be one of this stream's events.
    ///
    /// Each partition is read from just before its high watermark to its
    /// end (the consumer's end-of-partition event), not only at the
    /// watermark's last offset: a broker may report a watermark short of
    /// the last batch it holds (tansu reports the last batch's first offset).
    fn read_how_far(&mut self, resume: bool) -> Result<(), Error> {
        let consumer: BaseConsumer = client_config(&self.target)
            .set("group.id", "customer-events-resume")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "true")
            // An empty fetch at a partition's end answers at once, not after
            // the default half second.
            .set("fetch.wait.max.ms", "10")
            .create()
            .map_err(|e| self.refusal(format!("cannot make a consumer: {e}")))?;
        let mut tails = TopicPartitionList::new();
        for partition in 0..self.partitions {
            let (low, high) = consumer
                .fetch_watermarks(&self.target.topic, partition, ANSWER_TIMEOUT)
                .map_err(|e| self.unreachable(&e))?;
            let from = if high > low {
                Offset::Offset(high - 1)
            } else {
                Offset::Beginning
            };
            tails
                .add_partition_offset(&self.target.topic, partition, from)
                .map_err(|e| self.refusal(e.to_string()))?;
        }
        consumer.assign(&tails).map_err(|e| self.refusal(e.to_string()))?;
        let mut at_end = vec![false; self.partitions as usize];
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        while at_end.iter().any(|end| !end) {
            if Instant::now() > deadline {
                return Err(self.refusal(
                    "the broker did not return the partitions' last records within 10 s; check that it is running and run again".into(),
                ));
            }
            let Some(message) = consumer.poll(Duration::from_millis(200)) else {
                continue;
            };
            let message = match message {
                Ok(message) => message,
                Err(KafkaError::PartitionEOF(partition)) => {
                    at_end[partition as usize] = true;
                    continue;
                }
                Err(e) => return Err(self.unreachable(&e)),
            };
            if !resume {
                return Err(self.refusal(
                    "the topic already holds records; continue the stream that wrote them by running it again with --resume, or stream to a new topic".into(),
                ));
            }
            let header = |name: &str| {
                message
                    .headers()
                    .and_then(|headers| headers.iter().find(|h| h.key == name))
                    .and_then(|h| h.value)
                    .and_then(|v| std::str::from_utf8(v).ok())
            };
            let (Some(stream), Some(index)) = (header("stream"), header("event_index").and_then(|i| i.parse().ok()))
            else {
                return Err(self.refusal(
                    "the topic holds records this tool did not write (no stream or event_index header); stream to a new topic".into(),
                ));
            };
            if stream != self.stream_id {
                return Err(self.refusal(format!(
                    "the topic holds another stream's events (stream {stream}, this one is {}: the seed, dates or config differ); pass the options of the stream that wrote them, or stream to a new topic",
                    self.stream_id
                )));
            }
            let held = &mut self.held[message.partition() as usize];
            *held = Some(held.map_or(index, |h: u64| h.max(index)));
            if let Some(millis) = message.timestamp().to_millis() {
                self.held_until = Some(self.held_until.unwrap_or(i64::MIN).max(millis * 1000));
            }
        }
        Ok(())
    }

    fn refusal(&self, message: String) -> Error {
        Error::Destination {
            destination: self.target.url(),
            message,
        }
    }

    fn unreachable(&self, error: &KafkaError) -> Error {
        unreachable_error(&self.target, error)
    }

    fn failure(&self) -> Option<Error> {
        let failure = self.producer.context().failure.lock().expect("not poisoned");
        failure.as_ref().map(|message| Error::Delivery {
            destination: self.target.url(),
            message: format!("the broker did not take an event: {message}"),
        })
    }
}

impl EventSink for KafkaSink {
    fn holds(&self, index: u64, event: &Event<'_>) -> bool {
        let partition = partition_of(&event.user_id.to_bytes(), self.partitions) as usize;
        self.held[partition].is_some_and(|last| index <= last)
    }

    fn send(&mut self, index: u64, event: &Event<'_>, line: &[u8]) -> Result<(), Error> {
        self.user_id = event.user_id.to_bytes();
        let partition = partition_of(&self.user_id, self.partitions);
        let value = match self.format {
            StreamFormat::Json => line.strip_suffix(b"\n").unwrap_or(line),
            StreamFormat::Avro => line,
        };
        let headers = OwnedHeaders::new_with_capacity(4)
            .insert(Header {
                key: "schema_version",
                value: Some(SCHEMA_VERSION_TEXT),
            })
            .insert(Header {
                key: "event_type",
                value: Some(event.event_type.as_str()),
            })
            .insert(Header {
                key: "event_index",
                value: Some(self.index_text.format(index)),
            })
            .insert(Header {
                key: "stream",
                value: Some(self.stream_id.as_str()),
            });
        let mut record = BaseRecord::to(&self.target.topic)
            .key(&self.user_id[..])
            .payload(value)
            .partition(partition)
            .timestamp(event.timestamp.0.div_euclid(1000))
            .headers(headers);
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    // The local queue is full: serve acknowledgements and retry.
                    self.producer.poll(Duration::from_millis(50));
                    if let Some(error) = self.failure() {
                        return Err(error);
                    }
                    record = back;
                }
                Err((error, _)) => {
                    return Err(Error::Delivery {
                        destination: self.target.url(),
                        message: format!("cannot send an event: {error}"),
                    });
                }
            }
        }
        self.sent_since_poll += 1;
        if self.sent_since_poll >= 1024 {
            self.sent_since_poll = 0;
            self.producer.poll(Duration::ZERO);
            if let Some(error) = self.failure() {
                return Err(error);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<u64, Error> {
        let flushed = self.producer.flush(FLUSH_TIMEOUT);
        if let Some(error) = self.failure() {
            return Err(error);
        }
        if let Err(error) = flushed {
            return Err(Error::Delivery {
                destination: self.target.url(),
                message: format!(
                    "{} events were not acknowledged within {} s ({error}); check the broker, then continue with --resume",
                    self.producer.in_flight_count(),
                    FLUSH_TIMEOUT.as_secs()
                ),
            });
        }
        Ok(self.acknowledged())
    }
}

/// The `schema_version` header's value.
const SCHEMA_VERSION_TEXT: &str = match crate::schema::SCHEMA_VERSION {
    1 => "1",
    _ => panic!("name the new schema version's header text"),
};

/// The settings every client of `target` shares.
fn client_config(target: &KafkaTarget) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &target.brokers)
        .set("client.id", "customer-events")
        .set("allow.auto.create.topics", "false")
        .set("socket.connection.setup.timeout.ms", "5000");
    config
}

/// The topic's partition count, `None` when the cluster has no such topic.
fn topic_partitions(producer: &BaseProducer<Acknowledgements>, target: &KafkaTarget) -> Result<Option<i32>, Error> {
    let metadata = producer
        .client()
        .fetch_metadata(None, ANSWER_TIMEOUT)
        .map_err(|e| unreachable_error(target, &e))?;
    Ok(metadata
        .topics()
        .iter()
        .find(|topic| topic.name() == target.topic && topic.error().is_none())
        .map(|topic| topic.partitions().len() as i32)
        .filter(|&partitions| partitions > 0))
}

/// Creates the topic with the partitions and replicas of `spec`.
fn create_topic(target: &KafkaTarget, spec: TopicSpec) -> Result<(), Error> {
    let refuse = |message: String| Error::Destination {
        destination: target.url(),
        message,
    };
    let admin: AdminClient<DefaultClientContext> = client_config(target)
        .create()
        .map_err(|e| refuse(format!("cannot make an admin client: {e}")))?;
    let topic = NewTopic::new(
        &target.topic,
        spec.partitions,
        TopicReplication::Fixed(spec.replication),
    );
    let options = AdminOptions::new()
        .request_timeout(Some(ANSWER_TIMEOUT))
        .operation_timeout(Some(ANSWER_TIMEOUT));
    let results = futures::executor::block_on(admin.create_topics([&topic], &options))
        .map_err(|e| unreachable_error(target, &e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, RDKafkaErrorCode::TopicAuthorizationFailed | RDKafkaErrorCode::ClusterAuthorizationFailed)) => {
                return Err(refuse(format!(
                    "the topic does not exist and this client may not create it; have it created with {} partitions, or stream to a topic that exists",
                    spec.partitions
                )));
            }
            Err((_, RDKafkaErrorCode::InvalidReplicationFactor)) => {
                return Err(refuse(format!(
                    "the cluster cannot hold {} replicas of each partition; pass a smaller --replication",
                    spec.replication
                )));
            }
            Err((_, code)) => return Err(refuse(format!("cannot create the topic: {code}"))),
        }
    }
    Ok(())
}

/// Waits until a created topic shows in the cluster's metadata; its partitions.
fn wait_for_topic(producer: &BaseProducer<Acknowledgements>, target: &KafkaTarget) -> Result<i32, Error> {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        if let Some(partitions) = topic_partitions(producer, target)? {
            return Ok(partitions);
        }
        if Instant::now() > deadline {
            return Err(Error::Destination {
                destination: target.url(),
                message: "the topic was created but does not show in the cluster's metadata after 10 s; run again"
                    .into(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Connects to the bootstrap brokers, one after the other, until one
/// accepts: a refused connection or an unknown host is told at once, not
/// after the client's retries.
fn reach_a_broker(target: &KafkaTarget) -> Result<(), Error> {
    let mut last_error = None;
    for broker in target.brokers.split(',') {
        let addresses = match broker.to_socket_addrs() {
            Ok(addresses) => addresses,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        for address in addresses {
            match TcpStream::connect_timeout(&address, ANSWER_TIMEOUT) {
                Ok(_) => return Ok(()),
                Err(e) => last_error = Some(e),
            }
        }
    }
    let error = last_error.map_or_else(|| "no address".to_string(), |e| e.to_string());
    Err(unreachable_error(target, &error))
}

/// The one line of a broker that does not answer.
fn unreachable_error(target: &KafkaTarget, error: &dyn std::fmt::Display) -> Error {
    Error::Destination {
        destination: target.url(),
        message: format!(
            "no Kafka broker answers at {} ({error}); check the address (kafka://HOST:PORT/TOPIC) and that the broker is running",
            target.brokers
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_hashes_as_the_java_client_does() {
        // Apache Kafka's own vectors (UtilsTest.testMurmur2).
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            (b"abc", 479_470_107),
        ];
        for (key, expected) in cases {
            assert_eq!(murmur2(key), expected, "{}", String::from_utf8_lossy(key));
        }
        assert_eq!(partition_of(b"21", 3), (-973_932_308i32 & 0x7fff_ffff) % 3);
    }

    #[test]
    fn addresses_name_brokers_and_a_topic() {
        let target = KafkaTarget::parse("kafka://127.0.0.1:19092,broker2/customer_events")
            .unwrap()
            .unwrap();
        assert_eq!(target.brokers, "127.0.0.1:19092,broker2:9092");
        assert_eq!(target.topic, "customer_events");
        assert!(KafkaTarget::parse("-").is_none());
        for bad in [
            "kafka://host",
            "kafka:///topic",
            "kafka://host/",
            "kafka://host/a b",
            "kafka://host/..",
        ] {
            let error = KafkaTarget::parse(bad).unwrap().unwrap_err().to_string();
            assert!(error.starts_with("--to: "), "{error}");
            assert!(error.contains("kafka://HOST:PORT/TOPIC"), "{error}");
        }
    }
}
