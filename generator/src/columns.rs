//! Columnar building: events appended into plain buffers (values, offsets,
//! validity), then turned into one nested Arrow [`RecordBatch`] without
//! copying. No per-row dynamic builders, no per-row allocation.
//!
//! String columns whose values are choices from a list (the [`Word`]s of an
//! event: device, place, genre, plan, quality, …) and the catalog's ids and
//! titles are built in one of two shapes ([`Strings`]): as text, the Utf8
//! columns of [`event_schema`] that every format reads, or as keys, a
//! buffer of each value's key with the list as a shared Arrow array
//! (`Dictionary(UInt16 | UInt32, Utf8)` columns), which the Parquet chunk
//! writer takes without copying or re-interning the strings.
//!
//! ```text
//! user_action: List<Struct{..}>
//!   offsets  [0, 2, 2, 5, ...]        one entry per event + 1
//!   children action_type ["pause", "completed", ...]  one entry per action
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use arrow::array::BooleanBufferBuilder;
use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array, ListArray, PrimitiveArray,
    RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{ArrowDictionaryKeyType, DataType, Field, Schema, SchemaRef, UInt16Type, UInt32Type};

use crate::error::Error;
use crate::model::{AppVersion, Bandwidth, Content, Event, Location, OsVersion, Subscription, Uuid};
use crate::schema::{MissingColumn, event_schema, event_schema_of, list_item, struct_fields};
use crate::vocab::content::{CONTENT_TYPE, GENRE, LANGUAGE, PROVIDER};
use crate::vocab::device::{DEVICE_TYPE, DEVICE_TYPE_MISSPELT, MODEL, OS};
use crate::vocab::places::{CITY, COUNTRY, COUNTRY_MISSPELT, REGION, TIMEZONE};
use crate::vocab::{
    ACTION_TYPE, ALGORITHM, BILLING_CYCLE, CONNECTED_SERVICE, EVENT_TYPE, NETWORK_TYPE, PLAN, QUALITY, Vocabulary, Word,
};

/// The shape of the string columns of words and catalog entities.
/// The catalog's ids (as UUID text) and titles as Arrow arrays, by entry
/// index: the dictionaries of the content id and title columns written as
/// keys.
#[derive(Debug)]
pub struct CatalogVocabularies {
    /// Each entry's id as canonical UUID text.
    pub ids: ArrayRef,
    /// Each entry's title.
    pub titles: ArrayRef,
}

#[derive(Clone, Copy, Debug)]
pub enum Strings<'a> {
    /// Utf8 columns, as [`event_schema`] declares them.
    Text,
    /// Dictionary columns: keys into each word's [`Vocabulary`], and into
    /// the catalog's ids and titles when it has them (a catalog of at most
    /// `catalog::KEYED_ENTRIES_MAX` entries).
    Keys(Option<&'a CatalogVocabularies>),
}

/// A string column of keyed values (words of a vocabulary, catalog entries)
/// being built: as text, or as keys into `values`.
#[derive(Debug)]
enum KeyedColumn<K: ArrowDictionaryKeyType> {
    Text(Utf8Column),
    Keys { keys: Vec<K::Native>, values: ArrayRef },
}

/// A column of [`Word`]s.
type WordColumn = KeyedColumn<UInt16Type>;

impl<K: ArrowDictionaryKeyType> KeyedColumn<K> {
    /// Keys into `values` when given, else text of about `bytes_per_row`.
    fn new(values: Option<&ArrayRef>, rows: usize, bytes_per_row: usize) -> Self {
        match values {
            Some(values) => KeyedColumn::Keys {
                keys: Vec::with_capacity(rows),
                values: values.clone(),
            },
            None => KeyedColumn::Text(Utf8Column::with_capacity(rows, bytes_per_row)),
        }
    }

    /// Appends the value of `key`, which `text` writes (and ends) in a text
    /// column; a keys column does not call it.
    #[inline]
    fn push_with(&mut self, key: K::Native, text: impl FnOnce(&mut Utf8Column)) {
        match self {
            KeyedColumn::Text(column) => text(column),
            KeyedColumn::Keys { keys, .. } => keys.push(key),
        }
    }

    /// Appends a slot without a value (under a null struct, or a null):
    /// an empty string, or key 0.
    #[inline]
    fn push_blank(&mut self) {
        match self {
            KeyedColumn::Text(column) => column.end(),
            KeyedColumn::Keys { keys, .. } => keys.push(K::Native::default()),
        }
    }

    fn finish(self, nulls: Option<NullBuffer>) -> Result<ArrayRef, Error> {
        Ok(match self {
            KeyedColumn::Text(column) => column.finish(nulls),
            KeyedColumn::Keys { keys, values } => Arc::new(DictionaryArray::<K>::try_new(
                PrimitiveArray::new(keys.into(), nulls),
                values,
            )?),
        })
    }
}

impl WordColumn {
    /// A column of words of `vocabulary`: keys when `strings` says so.
    fn words(strings: Strings<'_>, vocabulary: &'static Vocabulary, rows: usize, bytes_per_row: usize) -> Self {
        let values = matches!(strings, Strings::Keys(_)).then(|| vocabulary.array());
        WordColumn::new(values, rows, bytes_per_row)
    }

    #[inline]
    fn push(&mut self, word: Word) {
        debug_assert!(
            match self {
                KeyedColumn::Keys { values, .. } => {
                    let values = values
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .expect("a Utf8 dictionary");
                    (word.key() as usize) < values.len() && values.value(word.key() as usize) == word.as_str()
                }
                KeyedColumn::Text(_) => true,
            },
            "`{word}` is not the word of its key in its column's dictionary"
        );
        self.push_with(word.key(), |column| column.push(word.as_str()));
    }
}

/// A column of catalog entries' ids or titles: keys into `values` (of
/// `strings`' catalog vocabularies) or text.
fn entity_column(
    strings: Strings<'_>,
    values: fn(&CatalogVocabularies) -> &ArrayRef,
    rows: usize,
    bytes_per_row: usize,
) -> KeyedColumn<UInt32Type> {
    let values = match strings {
        Strings::Keys(Some(vocabularies)) => Some(values(vocabularies)),
        _ => None,
    };
    KeyedColumn::new(values, rows, bytes_per_row)
}

/// A Utf8 column being built: concatenated bytes and offsets. A value is
/// appended whole (`push`), or in pieces (`fmt::Write`) closed by `end`.
#[derive(Debug)]
pub(crate) struct Utf8Column {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
}

impl Default for Utf8Column {
    fn default() -> Self {
        Self::with_capacity(0, 0)
    }
}

impl std::fmt::Write for Utf8Column {
    #[inline]
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.bytes.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl Utf8Column {
    pub(crate) fn with_capacity(rows: usize, bytes_per_row: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            bytes: Vec::with_capacity(rows * bytes_per_row),
        }
    }

    #[inline]
    pub(crate) fn end(&mut self) {
        self.offsets.push(self.bytes.len() as i32);
    }

    #[inline]
    pub(crate) fn push(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.end();
    }

    #[inline]
    fn push_int(&mut self, n: impl itoa::Integer) {
        self.bytes.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    pub(crate) fn finish(self, nulls: Option<NullBuffer>) -> ArrayRef {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        debug_assert!(std::str::from_utf8(&self.bytes).is_ok());
        debug_assert_eq!(offsets.last() as usize, self.bytes.len());
        // SAFETY: every value was appended whole from `&str`s or as ASCII
        // digits and punctuation, so the bytes are UTF-8 and every offset is
        // a char boundary; offsets start at 0, never decrease and end at the
        // byte length (one `end` per value).
        Arc::new(unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(self.bytes), nulls) })
    }
}

/// A column of ids that repeat within a batch (the searches that users'
/// histories list again and again), as text, or as keys into the batch's
/// distinct ids in the order they were first listed: each id is then
/// formatted once per batch rather than at every listing, and the Parquet
/// chunk writer interns it once (the same chunk bytes as the text).
#[derive(Debug)]
enum RepeatedIdColumn {
    Text(Utf8Column),
    Keys {
        /// Each distinct id's key.
        seen: HashMap<u128, u32, BuildHasherDefault<IdHasher>>,
        keys: Vec<u32>,
        values: Utf8Column,
    },
}

impl RepeatedIdColumn {
    fn new(strings: Strings<'_>, ids: usize) -> Self {
        match strings {
            Strings::Text => RepeatedIdColumn::Text(Utf8Column::with_capacity(ids, 36)),
            Strings::Keys(_) => RepeatedIdColumn::Keys {
                seen: HashMap::default(),
                keys: Vec::with_capacity(ids),
                values: Utf8Column::with_capacity(ids / 4, 36),
            },
        }
    }

    #[inline]
    fn push(&mut self, id: Uuid) {
        match self {
            RepeatedIdColumn::Text(column) => push_uuid(column, id.to_bytes()),
            RepeatedIdColumn::Keys { seen, keys, values } => {
                let next = seen.len() as u32;
                let key = *seen.entry(id.0).or_insert_with(|| {
                    push_uuid(values, id.to_bytes());
                    next
                });
                keys.push(key);
            }
        }
    }

    fn finish(self) -> Result<ArrayRef, Error> {
        Ok(match self {
            RepeatedIdColumn::Text(column) => column.finish(None),
            RepeatedIdColumn::Keys { keys, values, .. } => Arc::new(DictionaryArray::<UInt32Type>::try_new(
                PrimitiveArray::new(keys.into(), None),
                values.finish(None),
            )?),
        })
    }
}

/// A hasher for random 128-bit ids: their two halves folded (the bits are
/// already uniform).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = (n as u64) ^ ((n >> 64) as u64);
    }
}

/// A nullable column: values plus validity.
#[derive(Debug)]
struct Nullable<T> {
    values: T,
    valid: Vec<bool>,
}

impl<T> Nullable<T> {
    fn nulls(&self) -> Option<NullBuffer> {
        validity(&self.valid)
    }
}

/// A null buffer for `valid`, or none when every value is valid.
fn validity(valid: &[bool]) -> Option<NullBuffer> {
    if valid.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::new(bits(valid)))
    }
}

/// `values` as a bitmap, packed a word at a time (arrow's `From<&[bool]>`
/// appends them a bit at a time).
fn bits(values: &[bool]) -> BooleanBuffer {
    BooleanBuffer::collect_bool(values.len(), |i| values[i])
}

fn int32(values: Vec<i32>, nulls: Option<NullBuffer>) -> ArrayRef {
    Arc::new(Int32Array::new(values.into(), nulls))
}

fn float64(values: Vec<f64>, nulls: Option<NullBuffer>) -> ArrayRef {
    Arc::new(Float64Array::new(values.into(), nulls))
}

fn boolean(values: Vec<bool>, nulls: Option<NullBuffer>) -> ArrayRef {
    Arc::new(BooleanArray::new(bits(&values), nulls))
}

fn timestamps(values: Vec<i64>, nulls: Option<NullBuffer>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::new(values.into(), nulls).with_timezone("UTC"))
}

/// `field` with the type of `array` (a dictionary column in place of Utf8).
fn retyped(field: &Arc<Field>, array: &ArrayRef) -> Arc<Field> {
    if field.data_type() == array.data_type() {
        field.clone()
    } else {
        Arc::new(field.as_ref().clone().with_data_type(array.data_type().clone()))
    }
}

/// A struct of the fields of `data_type` (typed as its children).
fn structure(data_type: &DataType, children: Vec<ArrayRef>, nulls: Option<NullBuffer>) -> Result<ArrayRef, Error> {
    let fields = struct_fields(data_type)
        .iter()
        .zip(&children)
        .map(|(field, child)| retyped(field, child))
        .collect();
    Ok(Arc::new(StructArray::try_new(fields, children, nulls)?))
}

/// A list of the item field of `data_type` (typed as `items`).
fn list(data_type: &DataType, offsets: Vec<i32>, items: ArrayRef) -> Result<ArrayRef, Error> {
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    Ok(Arc::new(ListArray::try_new(
        retyped(list_item(data_type), &items),
        offsets,
        items,
        None,
    )?))
}

/// The columns of [`Location`], in schema order; shared by the events and the
/// `users` dimension.
#[derive(Debug)]
pub struct LocationColumns([WordColumn; 4]);

impl LocationColumns {
    /// Empty columns with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self::new(Strings::Text, rows)
    }

    fn new(strings: Strings<'_>, rows: usize) -> Self {
        let w = |vocabulary, bytes| WordColumn::words(strings, vocabulary, rows, bytes);
        Self([w(&COUNTRY, 14), w(&CITY, 12), w(&REGION, 12), w(&TIMEZONE, 20)])
    }

    #[inline]
    pub fn push(&mut self, l: &Location) {
        for (column, value) in self.0.iter_mut().zip([l.country, l.city, l.region, l.timezone]) {
            column.push(value);
        }
    }

    /// country, city, region, timezone.
    pub fn finish(self) -> Result<Vec<ArrayRef>, Error> {
        self.finish_with(None)
    }

    /// country (with `country_nulls`), city, region, timezone.
    fn finish_with(self, country_nulls: Option<NullBuffer>) -> Result<Vec<ArrayRef>, Error> {
        let [country, city, region, timezone] = self.0;
        Ok(vec![
            country.finish(country_nulls)?,
            city.finish(None)?,
            region.finish(None)?,
            timezone.finish(None)?,
        ])
    }
}

/// The columns of [`Content`], in schema order; shared by the events and the
/// `content` dimension.
#[derive(Debug)]
pub struct ContentColumns {
    id: KeyedColumn<UInt32Type>,
    title: KeyedColumn<UInt32Type>,
    content_type: WordColumn,
    episode: Nullable<Vec<i32>>,
    season: Nullable<Vec<i32>>,
    provider: WordColumn,
    genre: WordColumn,
    release_year: Vec<i32>,
    duration: Vec<i32>,
    language: WordColumn,
}

impl ContentColumns {
    /// Empty columns with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self::new(Strings::Text, rows)
    }

    fn new(strings: Strings<'_>, rows: usize) -> Self {
        let w = |vocabulary, bytes| WordColumn::words(strings, vocabulary, rows, bytes);
        let opt_i32 = || Nullable {
            values: Vec::with_capacity(rows),
            valid: Vec::with_capacity(rows),
        };
        Self {
            id: entity_column(strings, |v| &v.ids, rows, 36),
            title: entity_column(strings, |v| &v.titles, rows, 20),
            content_type: w(&CONTENT_TYPE, 8),
            episode: opt_i32(),
            season: opt_i32(),
            provider: w(&PROVIDER, 10),
            genre: w(&GENRE, 8),
            release_year: Vec::with_capacity(rows),
            duration: Vec::with_capacity(rows),
            language: w(&LANGUAGE, 2),
        }
    }

    #[inline]
    pub fn push(&mut self, c: &Content<'_>) {
        self.id.push_with(c.entry, |column| push_uuid(column, c.id.to_bytes()));
        self.title.push_with(c.entry, |column| column.push(c.title));
        self.content_type.push(c.content_type);
        push_opt(&mut self.episode, c.episode);
        push_opt(&mut self.season, c.season);
        self.provider.push(c.provider);
        self.genre.push(c.genre);
        self.release_year.push(c.release_year);
        self.duration.push(c.duration);
        self.language.push(c.language);
    }

    /// id, title, type, episode, season, provider, genre, release_year,
    /// duration, language.
    pub fn finish(self) -> Result<Vec<ArrayRef>, Error> {
        let (episode_nulls, season_nulls) = (self.episode.nulls(), self.season.nulls());
        Ok(vec![
            self.id.finish(None)?,
            self.title.finish(None)?,
            self.content_type.finish(None)?,
            int32(self.episode.values, episode_nulls),
            int32(self.season.values, season_nulls),
            self.provider.finish(None)?,
            self.genre.finish(None)?,
            int32(self.release_year, None),
            int32(self.duration, None),
            self.language.finish(None)?,
        ])
    }
}

/// The columns of [`Subscription`], in schema order; shared by the events and
/// the `users` dimension.
#[derive(Debug)]
pub struct SubscriptionColumns {
    plan: WordColumn,
    start_date: Vec<i32>,
    billing_cycle: WordColumn,
    services_offsets: Vec<i32>,
    services: WordColumn,
    /// Services appended so far.
    service_count: i32,
}

impl SubscriptionColumns {
    /// Empty columns with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self::new(Strings::Text, rows)
    }

    fn new(strings: Strings<'_>, rows: usize) -> Self {
        Self {
            plan: WordColumn::words(strings, &PLAN, rows, 8),
            start_date: Vec::with_capacity(rows),
            billing_cycle: WordColumn::words(strings, &BILLING_CYCLE, rows, 7),
            services_offsets: offsets_with_capacity(rows),
            services: WordColumn::words(strings, &CONNECTED_SERVICE, rows * 2, 8),
            service_count: 0,
        }
    }

    #[inline]
    pub fn push(&mut self, s: &Subscription) {
        self.plan.push(s.plan);
        self.start_date.push(s.start_date.0);
        self.billing_cycle.push(s.billing_cycle);
        for service in s.connected_services.words() {
            self.services.push(service);
            self.service_count += 1;
        }
        self.services_offsets.push(self.service_count);
    }

    /// plan, start_date, billing_cycle, connected_services.
    ///
    /// # Errors
    /// [`Error::Arrow`] if the list does not fit the schema (a bug).
    pub fn finish(self) -> Result<Vec<ArrayRef>, Error> {
        let schema = event_schema();
        let subscription_t = schema
            .field_with_name("user_subscription")
            .expect("schema field")
            .data_type();
        let services_t = struct_fields(subscription_t)[3].data_type();
        Ok(vec![
            self.plan.finish(None)?,
            Arc::new(Date32Array::new(self.start_date.into(), None)),
            self.billing_cycle.finish(None)?,
            list(services_t, self.services_offsets, self.services.finish(None)?)?,
        ])
    }
}

/// Buffers for a batch of events, one per leaf column of the schema.
#[derive(Debug)]
pub struct EventColumns {
    rows: usize,
    cells: u64,
    event_id: Utf8Column,
    user_id: Utf8Column,
    event_type: WordColumn,
    timestamp: Vec<i64>,
    device_type: WordColumn,
    os: WordColumn,
    os_version: Utf8Column,
    app_version: Utf8Column,
    model: WordColumn,
    location: LocationColumns,
    content: ContentColumns,
    subscription: SubscriptionColumns,
    details_valid: Vec<bool>,
    play_duration: Vec<i32>,
    play_percentage: Vec<f64>,
    playback_quality: WordColumn,
    buffering_incidents: Vec<i32>,
    playback_speed: Vec<f64>,
    paused: Vec<bool>,
    completed: Vec<bool>,
    network_type: WordColumn,
    bandwidth: Utf8Column,
    action_offsets: Vec<i32>,
    action_type: WordColumn,
    action_timestamp: Vec<i64>,
    action_duration: Nullable<Vec<i32>>,
    action_completed: Nullable<Vec<bool>>,
    old_quality: Nullable<WordColumn>,
    new_quality: Nullable<WordColumn>,
    old_speed: Nullable<Vec<f64>>,
    new_speed: Nullable<Vec<f64>>,
    recommendation_offsets: Vec<i32>,
    recommendation_id: KeyedColumn<UInt32Type>,
    recommendation_position: Vec<i32>,
    recommendation_algorithm: WordColumn,
    recommendation_clicked: Vec<bool>,
    search_offsets: Vec<i32>,
    search_id: RepeatedIdColumn,
    search_timestamp: Vec<i64>,
    search_query: Utf8Column,
    search_results: Vec<i32>,
    /// Whether a missing value may leave a [`MissingColumn`] null
    /// ([`EventColumns::taking_missing_values`]).
    nullable: bool,
    /// The rows left null, each with its column.
    missing: Vec<(usize, MissingColumn)>,
}

fn offsets_with_capacity(rows: usize) -> Vec<i32> {
    let mut v = Vec::with_capacity(rows + 1);
    v.push(0);
    v
}

impl EventColumns {
    /// Empty buffers sized for about `rows` events, of the Utf8 columns of
    /// [`event_schema`].
    pub fn with_capacity(rows: usize) -> Self {
        Self::new(Strings::Text, rows)
    }

    /// Empty buffers sized for about `rows` events, with the string columns
    /// of words and catalog entities built as `strings` says.
    pub fn new(strings: Strings<'_>, rows: usize) -> Self {
        let s = |bytes| Utf8Column::with_capacity(rows, bytes);
        let w = |vocabulary, bytes| WordColumn::words(strings, vocabulary, rows, bytes);
        let list = |vocabulary, per_row| WordColumn::words(strings, vocabulary, rows * per_row, 0);
        let opt_i32 = |n| Nullable {
            values: Vec::with_capacity(n),
            valid: Vec::with_capacity(n),
        };
        let actions = rows * 2;
        EventColumns {
            rows: 0,
            cells: 0,
            event_id: s(36),
            user_id: s(36),
            event_type: w(&EVENT_TYPE, 12),
            timestamp: Vec::with_capacity(rows),
            device_type: w(&DEVICE_TYPE, 8),
            os: w(&OS, 8),
            os_version: s(4),
            app_version: s(6),
            model: w(&MODEL, 12),
            location: LocationColumns::new(strings, rows),
            content: ContentColumns::new(strings, rows),
            subscription: SubscriptionColumns::new(strings, rows),
            details_valid: Vec::with_capacity(rows),
            play_duration: Vec::with_capacity(rows),
            play_percentage: Vec::with_capacity(rows),
            playback_quality: w(&QUALITY, 2),
            buffering_incidents: Vec::with_capacity(rows),
            playback_speed: Vec::with_capacity(rows),
            paused: Vec::with_capacity(rows),
            completed: Vec::with_capacity(rows),
            network_type: w(&NETWORK_TYPE, 5),
            bandwidth: s(6),
            action_offsets: offsets_with_capacity(rows),
            action_type: WordColumn::words(strings, &ACTION_TYPE, actions, 6),
            action_timestamp: Vec::with_capacity(actions),
            action_duration: opt_i32(actions),
            action_completed: Nullable {
                values: Vec::with_capacity(actions),
                valid: Vec::with_capacity(actions),
            },
            old_quality: Nullable {
                values: list(&QUALITY, 2),
                valid: Vec::with_capacity(actions),
            },
            new_quality: Nullable {
                values: list(&QUALITY, 2),
                valid: Vec::with_capacity(actions),
            },
            old_speed: Nullable {
                values: Vec::with_capacity(actions),
                valid: Vec::with_capacity(actions),
            },
            new_speed: Nullable {
                values: Vec::with_capacity(actions),
                valid: Vec::with_capacity(actions),
            },
            recommendation_offsets: offsets_with_capacity(rows),
            recommendation_id: entity_column(strings, |v| &v.ids, rows * 3, 36),
            recommendation_position: Vec::with_capacity(rows * 3),
            recommendation_algorithm: WordColumn::words(strings, &ALGORITHM, rows * 3, 10),
            recommendation_clicked: Vec::with_capacity(rows * 3),
            search_offsets: offsets_with_capacity(rows),
            search_id: RepeatedIdColumn::new(strings, rows * 3),
            search_timestamp: Vec::with_capacity(rows * 3),
            search_query: Utf8Column::with_capacity(rows * 3, 10),
            search_results: Vec::with_capacity(rows * 3),
            nullable: false,
            missing: Vec::new(),
        }
    }

    /// The same buffers, with the columns a broken value may give a word
    /// outside its vocabulary (`device.type`, `location.country`) keyed, if
    /// keyed, into the vocabulary followed by its misspellings
    /// (`DEVICE_TYPE_MISSPELT`, `COUNTRY_MISSPELT`), where a clean word
    /// keeps its key.
    pub fn taking_misspellings(mut self) -> Self {
        let widen = |column: &mut WordColumn, misspelt: &'static Vocabulary| {
            if let KeyedColumn::Keys { values, .. } = column {
                *values = misspelt.array().clone();
            }
        };
        widen(&mut self.device_type, &DEVICE_TYPE_MISSPELT);
        widen(&mut self.location.0[0], &COUNTRY_MISSPELT);
        self
    }

    /// The same buffers, for events that may miss values: the batch has
    /// [`event_schema_of`]`(true)`, and [`EventColumns::set_missing`] may
    /// leave a value null.
    pub fn taking_missing_values(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Leaves `column` of the event appended last null (a missing value).
    ///
    /// # Panics
    /// Without [`EventColumns::taking_missing_values`], or before any event.
    pub fn set_missing(&mut self, column: MissingColumn) {
        assert!(
            self.nullable && self.rows > 0,
            "a missing value needs taking_missing_values and an event"
        );
        self.missing.push((self.rows - 1, column));
    }

    /// Events appended so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no event was appended.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Leaf values appended so far (see [`event_cells`]).
    pub fn cells(&self) -> u64 {
        self.cells
    }

    /// Appends one event.
    pub fn push(&mut self, e: &Event<'_>) {
        self.rows += 1;
        self.cells += event_cells(e);
        push_uuid(&mut self.event_id, e.event_id.to_bytes());
        push_uuid(&mut self.user_id, e.user_id.to_bytes());
        self.event_type.push(e.event_type);
        self.timestamp.push(e.timestamp.0);

        let d = &e.device;
        self.device_type.push(d.device_type);
        self.os.push(d.os);
        push_os_version(&mut self.os_version, d.os_version);
        push_app_version(&mut self.app_version, d.app_version);
        self.model.push(d.model);

        self.location.push(&e.location);
        self.content.push(&e.content);
        self.subscription.push(&e.user_subscription);

        match &e.event_details {
            Some(x) => {
                self.details_valid.push(true);
                self.play_duration.push(x.play_duration);
                self.play_percentage.push(x.play_percentage);
                self.playback_quality.push(x.playback_quality);
                self.buffering_incidents.push(x.buffering_incidents);
                self.playback_speed.push(x.playback_speed);
                self.paused.push(x.paused);
                self.completed.push(x.completed);
                self.network_type.push(x.network_type);
                push_bandwidth(&mut self.bandwidth, x.bandwidth);
            }
            None => {
                self.details_valid.push(false);
                self.play_duration.push(0);
                self.play_percentage.push(0.0);
                self.playback_quality.push_blank();
                self.buffering_incidents.push(0);
                self.playback_speed.push(0.0);
                self.paused.push(false);
                self.completed.push(false);
                self.network_type.push_blank();
                self.bandwidth.end();
            }
        }

        for a in &e.user_action {
            self.action_type.push(a.action_type);
            self.action_timestamp.push(a.timestamp.0);
            push_opt(&mut self.action_duration, a.duration);
            push_opt(&mut self.action_completed, a.completed);
            push_opt_word(&mut self.old_quality, a.old_quality);
            push_opt_word(&mut self.new_quality, a.new_quality);
            push_opt(&mut self.old_speed, a.old_speed);
            push_opt(&mut self.new_speed, a.new_speed);
        }
        self.action_offsets.push(self.action_timestamp.len() as i32);

        for r in &e.recommendations {
            self.recommendation_id
                .push_with(r.entry, |column| push_uuid(column, r.content_id.to_bytes()));
            self.recommendation_position.push(r.position);
            self.recommendation_algorithm.push(r.algorithm);
            self.recommendation_clicked.push(r.clicked);
        }
        self.recommendation_offsets
            .push(self.recommendation_position.len() as i32);

        for q in &e.search_history {
            self.search_id.push(q.search_id);
            self.search_timestamp.push(q.timestamp.0);
            self.search_query.push(q.query);
            self.search_results.push(q.results_count);
        }
        self.search_offsets.push(self.search_timestamp.len() as i32);
    }

    /// Turns the buffers into a batch of [`event_schema`], or, with string
    /// columns built as keys, of the same schema with those columns as
    /// dictionaries (which the Parquet encoder of [`event_schema`] takes).
    ///
    /// # Errors
    /// [`Error::Arrow`] if the arrays do not fit the schema (a bug).
    pub fn finish(self) -> Result<RecordBatch, Error> {
        let schema: SchemaRef = event_schema_of(self.nullable);
        // The nulls of missing values, by column.
        let rows = self.rows;
        let nulls_of = |column: MissingColumn| -> Option<NullBuffer> {
            let mut missing = self.missing.iter().filter(|(_, c)| *c == column).peekable();
            missing.peek()?;
            let mut valid = BooleanBufferBuilder::new(rows);
            valid.append_n(rows, true);
            for (row, _) in missing {
                valid.set_bit(*row, false);
            }
            Some(NullBuffer::new(valid.finish()))
        };
        let (user_id_nulls, timestamp_nulls, country_nulls) = (
            nulls_of(MissingColumn::UserId),
            nulls_of(MissingColumn::Timestamp),
            nulls_of(MissingColumn::Country),
        );
        let field = |name: &str| schema.field_with_name(name).expect("schema field").data_type().clone();
        let device_t = field("device");
        let device = structure(
            &device_t,
            vec![
                self.device_type.finish(None)?,
                self.os.finish(None)?,
                self.os_version.finish(None),
                self.app_version.finish(None),
                self.model.finish(None)?,
            ],
            None,
        )?;
        let location = structure(&field("location"), self.location.finish_with(country_nulls)?, None)?;
        let content = structure(&field("content"), self.content.finish()?, None)?;
        let subscription = structure(&field("user_subscription"), self.subscription.finish()?, None)?;
        let details_nulls = validity(&self.details_valid);
        let details = structure(
            &field("event_details"),
            vec![
                int32(self.play_duration, None),
                float64(self.play_percentage, None),
                self.playback_quality.finish(None)?,
                int32(self.buffering_incidents, None),
                float64(self.playback_speed, None),
                boolean(self.paused, None),
                boolean(self.completed, None),
                self.network_type.finish(None)?,
                self.bandwidth.finish(None),
            ],
            details_nulls,
        )?;
        let actions_t = field("user_action");
        let (dur_n, comp_n, oq_n, nq_n, os_n, ns_n) = (
            self.action_duration.nulls(),
            self.action_completed.nulls(),
            self.old_quality.nulls(),
            self.new_quality.nulls(),
            self.old_speed.nulls(),
            self.new_speed.nulls(),
        );
        let action_items = structure(
            list_item(&actions_t).data_type(),
            vec![
                self.action_type.finish(None)?,
                timestamps(self.action_timestamp, None),
                int32(self.action_duration.values, dur_n),
                boolean(self.action_completed.values, comp_n),
                self.old_quality.values.finish(oq_n)?,
                self.new_quality.values.finish(nq_n)?,
                float64(self.old_speed.values, os_n),
                float64(self.new_speed.values, ns_n),
            ],
            None,
        )?;
        let recommendations_t = field("recommendations");
        let recommendation_items = structure(
            list_item(&recommendations_t).data_type(),
            vec![
                self.recommendation_id.finish(None)?,
                int32(self.recommendation_position, None),
                self.recommendation_algorithm.finish(None)?,
                boolean(self.recommendation_clicked, None),
            ],
            None,
        )?;
        let searches_t = field("search_history");
        let search_items = structure(
            list_item(&searches_t).data_type(),
            vec![
                self.search_id.finish()?,
                timestamps(self.search_timestamp, None),
                self.search_query.finish(None),
                int32(self.search_results, None),
            ],
            None,
        )?;
        let columns = vec![
            self.event_id.finish(None),
            self.user_id.finish(user_id_nulls),
            self.event_type.finish(None)?,
            timestamps(self.timestamp, timestamp_nulls),
            device,
            location,
            content,
            subscription,
            details,
            list(&actions_t, self.action_offsets, action_items)?,
            list(&recommendations_t, self.recommendation_offsets, recommendation_items)?,
            list(&searches_t, self.search_offsets, search_items)?,
        ];
        let schema = if schema
            .fields()
            .iter()
            .zip(&columns)
            .all(|(f, c)| f.data_type() == c.data_type())
        {
            schema
        } else {
            let fields: Vec<Arc<Field>> = schema
                .fields()
                .iter()
                .zip(&columns)
                .map(|(f, c)| retyped(f, c))
                .collect();
            Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
        };
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

/// Leaf values of one event as written: every scalar of every struct (a
/// null struct's fields too, since each is encoded) and every field of every
/// list element. The unit of the "cells per second" throughput figure.
#[inline]
pub fn event_cells(e: &Event<'_>) -> u64 {
    const SCALARS: u64 = 4 + 5 + 4 + 10 + 3 + 9;
    SCALARS
        + e.user_subscription.connected_services.0.count_ones() as u64
        + 8 * e.user_action.len() as u64
        + 4 * e.recommendations.len() as u64
        + 4 * e.search_history.len() as u64
}

/// A column of ids as canonical UUID text.
pub fn uuid_column(ids: &[Uuid]) -> ArrayRef {
    let mut column = Utf8Column::with_capacity(ids.len(), 36);
    for id in ids {
        push_uuid(&mut column, id.to_bytes());
    }
    column.finish(None)
}

#[inline]
fn push_uuid(col: &mut Utf8Column, text: [u8; 36]) {
    col.bytes.extend_from_slice(&text);
    col.end();
}

#[inline]
fn push_opt<T: Default>(col: &mut Nullable<Vec<T>>, value: Option<T>) {
    col.valid.push(value.is_some());
    col.values.push(value.unwrap_or_default());
}

#[inline]
fn push_opt_word(col: &mut Nullable<WordColumn>, value: Option<Word>) {
    col.valid.push(value.is_some());
    match value {
        Some(word) => col.values.push(word),
        None => col.values.push_blank(),
    }
}

#[inline]
fn push_os_version(col: &mut Utf8Column, v: OsVersion) {
    col.push_int(v.major);
    if let Some(minor) = v.minor {
        col.bytes.push(b'.');
        col.push_int(minor);
    }
    col.end();
}

#[inline]
fn push_app_version(col: &mut Utf8Column, v: AppVersion) {
    col.push_int(v.0);
    col.bytes.push(b'.');
    col.push_int(v.1);
    col.bytes.push(b'.');
    col.push_int(v.2);
    col.end();
}

#[inline]
fn push_bandwidth(col: &mut Utf8Column, b: Bandwidth) {
    let (n, unit) = b.parts();
    col.push_int(n);
    col.bytes.extend_from_slice(unit.as_bytes());
    col.end();
}
