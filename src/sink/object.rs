//! Object storage as an output: `--out s3://bucket/prefix` (also `gs://`,
//! `az://` and `file://`), through the `object_store` crate.
//!
//! [`ObjectOutput`] is a prefix of a store, with the credentials, region and
//! endpoint of the standard environment variables (`AWS_*`, `GOOGLE_*`,
//! `AZURE_*`) and a small tokio runtime of its own: the engine's writer
//! thread is synchronous and calls into the store with `block_on`.
//!
//! [`Upload`] is the [`Destination`] of one object: its bytes stream out as a
//! multipart upload while row groups are appended (parts of [`PART_BYTES`],
//! at most [`PARTS_IN_FLIGHT`] being sent at a time, so memory stays bounded
//! whatever the file's size); the object becomes visible only when the
//! upload completes, and dropped uncommitted (an error, Ctrl-C) the upload
//! is aborted. A file smaller than one part is sent with one `PUT`, which
//! is just as atomic.
//!
//! [`StoreLock`] is the run's lock, an object created with put-if-absent
//! (`If-None-Match: *` on S3), and [`prepare`] applies the folder rules to a
//! prefix: an empty prefix, or `--overwrite` of an earlier run whose
//! manifests list every object under it, which are the only ones deleted.

use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, MultipartUpload, ObjectStore, ObjectStoreExt, ObjectStoreScheme, PutMode, PutOptions, PutPayload,
    RetryConfig,
};
use tokio::task::JoinHandle;

use super::destination::{Committed, Destination};
use super::lock::{LOCK_FILE, LockHolder};
use crate::error::Error;

/// Size of an upload's parts (S3 wants at least 5 MiB but for the last).
pub const PART_BYTES: usize = 8 << 20;
/// Parts of one upload being sent at once; the writer waits beyond that.
pub const PARTS_IN_FLIGHT: usize = 2;

/// The URL schemes of object storage `--out` accepts.
const SCHEMES: [&str; 8] = [
    "s3://", "s3a://", "gs://", "az://", "azure://", "abfs://", "abfss://", "file://",
];

/// Whether `out` names object storage (`s3://…`, `gs://…`, `az://…`, `file://…`).
pub fn is_object_url(out: &Path) -> bool {
    out.to_str()
        .is_some_and(|text| SCHEMES.iter().any(|scheme| text.starts_with(scheme)))
}

/// A prefix of an object store, where a run writes its dataset.
#[derive(Debug)]
pub struct ObjectOutput {
    /// The URL as given, without a trailing `/`.
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// What to tell a user whose store cannot be reached or refuses them.
    hint: &'static str,
    /// Whether the URL names a bucket or container (not `file://`).
    buckets: bool,
    runtime: tokio::runtime::Runtime,
}

impl ObjectOutput {
    /// The store and prefix of `out`, configured from the environment.
    /// Nothing is sent yet.
    ///
    /// # Errors
    /// [`Error::Output`] when the URL cannot be parsed, or names no bucket, or
    /// the environment lacks credentials (naming the variable to set).
    pub fn open(out: &Path) -> Result<Self, Error> {
        let text = out.to_string_lossy().trim_end_matches('/').to_string();
        let output_error = |message: String| Error::Output {
            path: out.to_path_buf(),
            message,
        };
        let url = url::Url::parse(&text).map_err(|e| output_error(format!("is not a URL ({e})")))?;
        let (scheme, prefix) = ObjectStoreScheme::parse(&url).map_err(|_| {
            output_error("names no bucket; write s3://BUCKET/PREFIX (or gs://, az://, file:///)".into())
        })?;
        // The runtime's threads only wait on sockets; the work is the writer's.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("customer-events-upload")
            .enable_all()
            .build()
            .map_err(|e| Error::io(out, e))?;
        // A wrong endpoint fails in seconds, not after minutes of retries.
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
        };
        let env = |key: &str| std::env::var_os(key).is_some_and(|v| !v.is_empty());
        let (store, hint): (Arc<dyn ObjectStore>, &'static str) = match scheme {
            ObjectStoreScheme::AmazonS3 => {
                let other_source = [
                    "AWS_WEB_IDENTITY_TOKEN_FILE",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "AWS_SKIP_SIGNATURE",
                ]
                .iter()
                .any(|key| env(key));
                if !env("AWS_ACCESS_KEY_ID") && !other_source {
                    return Err(output_error(
                        "has no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                         (and AWS_REGION, AWS_ENDPOINT_URL for a server other than AWS)"
                            .into(),
                    ));
                }
                if env("AWS_ACCESS_KEY_ID") && !env("AWS_SECRET_ACCESS_KEY") {
                    return Err(output_error("has no secret key: set AWS_SECRET_ACCESS_KEY".into()));
                }
                install_crypto_provider();
                let store = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url.as_str())
                    .with_retry(retry)
                    .build()
                    .map_err(|e| output_error(first_line(&e)))?;
                (
                    Arc::new(store),
                    "check AWS_ENDPOINT_URL (and AWS_ALLOW_HTTP=true for http://), AWS_REGION, \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                )
            }
            ObjectStoreScheme::GoogleCloudStorage => {
                if !env("GOOGLE_SERVICE_ACCOUNT")
                    && !env("GOOGLE_APPLICATION_CREDENTIALS")
                    && !env("GOOGLE_SERVICE_ACCOUNT_KEY")
                {
                    return Err(output_error(
                        "has no credentials: set GOOGLE_APPLICATION_CREDENTIALS (or GOOGLE_SERVICE_ACCOUNT) \
                         to a service account key file"
                            .into(),
                    ));
                }
                install_crypto_provider();
                let store = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url.as_str())
                    .with_retry(retry)
                    .build()
                    .map_err(|e| output_error(first_line(&e)))?;
                (
                    Arc::new(store),
                    "check GOOGLE_APPLICATION_CREDENTIALS (or GOOGLE_SERVICE_ACCOUNT) and the bucket",
                )
            }
            ObjectStoreScheme::MicrosoftAzure => {
                if !env("AZURE_STORAGE_ACCOUNT_NAME") && !env("AZURE_STORAGE_USE_EMULATOR") {
                    return Err(output_error(
                        "has no account: set AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY \
                         (or AZURE_STORAGE_SAS_KEY)"
                            .into(),
                    ));
                }
                install_crypto_provider();
                let store = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url.as_str())
                    .with_retry(retry)
                    .build()
                    .map_err(|e| output_error(first_line(&e)))?;
                (
                    Arc::new(store),
                    "check AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY (or AZURE_STORAGE_SAS_KEY) \
                     and AZURE_STORAGE_ENDPOINT",
                )
            }
            ObjectStoreScheme::Local => (
                Arc::new(object_store::local::LocalFileSystem::new()),
                "check that the folder is writable",
            ),
            _ => {
                return Err(output_error(
                    "is not object storage this tool writes; use s3://, gs://, az:// or file:///".into(),
                ));
            }
        };
        Ok(Self {
            url: text,
            store,
            prefix,
            hint,
            buckets: scheme != ObjectStoreScheme::Local,
            runtime,
        })
    }

    /// The URL of `relative` under the prefix, for messages.
    pub fn url_of(&self, relative: &str) -> PathBuf {
        PathBuf::from(format!("{}/{relative}", self.url))
    }

    /// The local path of `relative` when the store is a local folder
    /// (`file://`), whose emptied directories a caller may want gone.
    pub fn local_path(&self, relative: &str) -> Option<PathBuf> {
        let root = self.url.strip_prefix("file://")?;
        Some(Path::new(root).join(relative))
    }

    /// The URL of the prefix.
    pub fn url(&self) -> &Path {
        Path::new(&self.url)
    }

    fn path(&self, relative: &str) -> ObjectPath {
        relative
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(self.prefix.clone(), |path, part| path.clone().join(part))
    }

    /// `relative` of an object under the prefix.
    fn relative(&self, location: &ObjectPath) -> String {
        location
            .prefix_match(&self.prefix)
            .map(|parts| parts.map(|p| p.as_ref().to_string()).collect::<Vec<_>>().join("/"))
            .unwrap_or_else(|| location.to_string())
    }

    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// The error of a failed read, list or delete of `relative`.
    fn error(&self, relative: &str, e: object_store::Error) -> Error {
        let failure = Failure::of(&e, false);
        self.request_error(relative, e, failure)
    }

    /// The error of a failed write of `relative`: a write answered "not
    /// found" means the bucket (or container) is missing.
    fn write_error(&self, relative: &str, e: object_store::Error) -> Error {
        let failure = match Failure::of(&e, true) {
            Failure::NoBucket if !self.buckets => Failure::Other,
            failure => failure,
        };
        self.request_error(relative, e, failure)
    }

    /// A store that cannot be reached, refuses the credentials or has no
    /// such bucket is the user's to fix (exit 2, one line naming the
    /// variables to check); anything else is an I/O error on the object.
    fn request_error(&self, relative: &str, e: object_store::Error, failure: Failure) -> Error {
        let line = first_line(&e);
        let what = match failure {
            Failure::NoBucket => "its bucket (or container) does not exist; create it, or",
            Failure::Refused => "the store refused the credentials;",
            Failure::Unreachable => "the store cannot be reached;",
            Failure::Other => return Error::io(self.url_of(relative), io::Error::other(line)),
        };
        Error::Output {
            path: PathBuf::from(&self.url),
            message: format!("{what} {} ({})", self.hint, short(&line)),
        }
    }

    /// The bytes of `relative`, `None` when there is no such object.
    ///
    /// # Errors
    /// As a failed request (see [`ObjectOutput`]).
    pub fn read(&self, relative: &str) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path(relative);
        self.block_on(async {
            match self.store.get(&path).await {
                Ok(result) => result.bytes().await.map(|b| Some(b.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(|e| self.error(relative, e))
    }

    /// The size of `relative`, `None` when there is no such object.
    ///
    /// # Errors
    /// As a failed request.
    pub fn size(&self, relative: &str) -> Result<Option<u64>, Error> {
        match self.block_on(self.store.head(&self.path(relative))) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(relative, e)),
        }
    }

    /// Writes `bytes` to `relative` in one request (visible whole, or not at all).
    ///
    /// # Errors
    /// As a failed request.
    pub fn put(&self, relative: &str, bytes: &[u8]) -> Result<(), Error> {
        let payload = PutPayload::from(Bytes::copy_from_slice(bytes));
        self.block_on(self.store.put(&self.path(relative), payload))
            .map(|_| ())
            .map_err(|e| self.write_error(relative, e))
    }

    /// Creates `relative` with `bytes` unless it exists (put-if-absent);
    /// false when it exists.
    ///
    /// # Errors
    /// As a failed request; a store without put-if-absent is an error
    /// naming it.
    pub fn create(&self, relative: &str, bytes: &[u8]) -> Result<bool, Error> {
        let payload = PutPayload::from(Bytes::copy_from_slice(bytes));
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self.block_on(self.store.put_opts(&self.path(relative), payload, options)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.write_error(relative, e)),
        }
    }

    /// The bytes `range` of `relative`.
    ///
    /// # Errors
    /// As a failed request (a missing object is one).
    pub fn read_range(&self, relative: &str, range: std::ops::Range<u64>) -> Result<Bytes, Error> {
        self.block_on(self.store.get_range(&self.path(relative), range))
            .map_err(|e| self.error(relative, e))
    }

    /// Copies the object `from` to `to` inside the store (the store copies;
    /// the bytes do not pass through this process). An object at `to` is
    /// replaced.
    ///
    /// # Errors
    /// As a failed request.
    pub fn copy(&self, from: &str, to: &str) -> Result<(), Error> {
        self.block_on(self.store.copy(&self.path(from), &self.path(to)))
            .map_err(|e| self.error(from, e))
    }

    /// Deletes `relative` (no error if it is gone).
    ///
    /// # Errors
    /// As a failed request.
    pub fn delete(&self, relative: &str) -> Result<(), Error> {
        match self.block_on(self.store.delete(&self.path(relative))) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(relative, e)),
        }
    }

    /// Every object under `relative_folder` (`""`: the whole prefix), as
    /// paths relative to the prefix, sorted.
    ///
    /// # Errors
    /// As a failed request.
    pub fn list(&self, relative_folder: &str) -> Result<Vec<String>, Error> {
        let folder = self.path(relative_folder);
        let listed: Vec<_> = self
            .block_on(self.store.list(Some(&folder)).try_collect::<Vec<_>>())
            .map_err(|e| self.error(relative_folder, e))?;
        let mut names: Vec<String> = listed.iter().map(|meta| self.relative(&meta.location)).collect();
        names.sort();
        Ok(names)
    }

    /// The destination of the object `relative`: nothing is sent until
    /// its first part is full.
    pub fn upload(self: &Arc<Self>, relative: &str) -> Upload {
        Upload {
            output: Arc::clone(self),
            relative: relative.to_string(),
            location: self.url_of(relative),
            buffer: Vec::new(),
            upload: None,
            in_flight: Vec::new(),
            bytes: 0,
            checksum: crc32fast::Hasher::new(),
            committed: false,
        }
    }
}

/// Installs rustls' ring provider for the HTTP client (once per process;
/// a provider installed before is kept).
/// What a failed request asks of the user, told by the error's variant and,
/// for a request that got no answer, by the HTTP client's kind of failure
/// among its causes; never by searching its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// No answer: a wrong endpoint or port, DNS, a timeout.
    Unreachable,
    /// Answered 401 or 403: the credentials.
    Refused,
    /// A write answered 404: the bucket or container is missing.
    NoBucket,
    /// Anything else: an I/O error on the object.
    Other,
}

impl Failure {
    fn of(e: &object_store::Error, writing: bool) -> Self {
        use object_store::Error as E;
        match e {
            E::PermissionDenied { .. } | E::Unauthenticated { .. } => Self::Refused,
            E::NotFound { .. } if writing => Self::NoBucket,
            _ if got_no_answer(e) => Self::Unreachable,
            _ => Self::Other,
        }
    }
}

/// Whether a request failed before any answer: an [`HttpError`] of kind
/// connect, request, timeout or interrupted among the error's causes.
fn got_no_answer(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(error) = cause {
        if let Some(http) = error.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect | HttpErrorKind::Request | HttpErrorKind::Timeout | HttpErrorKind::Interrupted
            );
        }
        cause = error.source();
    }
    false
}

fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The first line of an error's message (the store's errors nest their causes).
fn first_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// A store's error cut for a one-line message: no XML body, at most 200 characters.
fn short(line: &str) -> String {
    let line = line.split("<?xml").next().unwrap_or(line).trim_end_matches([':', ' ']);
    match line.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_string(),
    }
}

/// One object being written: a [`Destination`] that streams its bytes out
/// as a multipart upload (see the module's doc).
pub struct Upload {
    output: Arc<ObjectOutput>,
    relative: String,
    location: PathBuf,
    /// Bytes not sent yet (less than a part).
    buffer: Vec<u8>,
    /// The multipart upload, once the first part is sent.
    upload: Option<Box<dyn MultipartUpload>>,
    in_flight: Vec<JoinHandle<object_store::Result<()>>>,
    bytes: u64,
    checksum: crc32fast::Hasher,
    committed: bool,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Upload {
    fn io_error(&self, e: object_store::Error) -> io::Error {
        io::Error::other(first_line(&e))
    }

    /// Waits for the oldest part being sent.
    fn wait_oldest(&mut self) -> io::Result<()> {
        let handle = self.in_flight.remove(0);
        match self.output.block_on(handle) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.io_error(e)),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    /// Sends the buffer as the next part (starting the upload at the first).
    fn send_part(&mut self) -> io::Result<()> {
        if self.upload.is_none() {
            let path = self.output.path(&self.relative);
            let upload = self
                .output
                .block_on(self.output.store.put_multipart(&path))
                .map_err(|e| self.io_error(e))?;
            self.upload = Some(upload);
        }
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.wait_oldest()?;
        }
        let part = std::mem::take(&mut self.buffer);
        let upload = self.upload.as_mut().expect("started above");
        let sending = upload.put_part(PutPayload::from(Bytes::from(part)));
        self.in_flight.push(self.output.runtime.spawn(sending));
        Ok(())
    }

    fn commit_upload(&mut self) -> io::Result<()> {
        if self.upload.is_none() {
            // Smaller than a part: one PUT.
            let payload = PutPayload::from(Bytes::from(std::mem::take(&mut self.buffer)));
            let path = self.output.path(&self.relative);
            return self
                .output
                .block_on(self.output.store.put(&path, payload))
                .map(|_| ())
                .map_err(|e| self.io_error(e));
        }
        if !self.buffer.is_empty() {
            self.send_part()?;
        }
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        let upload = self.upload.as_mut().expect("started");
        let completing = upload.complete();
        let result = self.output.runtime.block_on(completing);
        result.map(|_| ()).map_err(|e| self.io_error(e))
    }
}

impl Write for Upload {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        self.checksum.update(bytes);
        self.bytes += bytes.len() as u64;
        // Parts of exactly PART_BYTES, each in one allocation that the
        // upload then owns: a file holds at most PARTS_IN_FLIGHT + 1 parts.
        while !bytes.is_empty() {
            if self.buffer.capacity() == 0 {
                self.buffer = Vec::with_capacity(PART_BYTES);
            }
            let (now, rest) = bytes.split_at((PART_BYTES - self.buffer.len()).min(bytes.len()));
            self.buffer.extend_from_slice(now);
            bytes = rest;
            if self.buffer.len() == PART_BYTES {
                self.send_part()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Destination for Upload {
    fn location(&self) -> &Path {
        &self.location
    }

    fn commit(mut self: Box<Self>) -> Result<Committed, Error> {
        self.commit_upload().map_err(|e| Error::io(&self.location, e))?;
        self.committed = true;
        Ok(Committed {
            bytes: self.bytes,
            crc32: self.checksum.clone().finalize(),
        })
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for handle in self.in_flight.drain(..) {
            handle.abort();
        }
        if let Some(mut upload) = self.upload.take() {
            // Aborted, the parts sent so far are discarded: no object appears.
            let _ = self.output.runtime.block_on(upload.abort());
        }
    }
}

/// The lock of a prefix: the object `.customer-events.lock` (a part's own:
/// `.customer-events.part-0000K-of-0000N.lock`, so parts on several
/// machines write into one prefix at once), created with put-if-absent and
/// deleted when dropped.
#[derive(Debug)]
pub struct StoreLock {
    output: Arc<ObjectOutput>,
    name: String,
    holder: LockHolder,
}

impl StoreLock {
    /// Takes the lock `name` (see [`PartOf::lock_name`](super::parts::PartOf::lock_name)) of the prefix.
    ///
    /// # Errors
    /// [`Error::Output`] naming the holder (and how to clear a dead run's
    /// lock) when it exists; a failed request's error.
    pub fn acquire(output: &Arc<ObjectOutput>, name: &str) -> Result<Self, Error> {
        let holder = LockHolder::new();
        let text = serde_json::to_string(&holder).expect("lock holder serializes") + "\n";
        if output.create(name, text.as_bytes())? {
            return Ok(Self {
                output: Arc::clone(output),
                name: name.to_string(),
                holder,
            });
        }
        let held_by = output
            .read(name)?
            .and_then(|bytes| serde_json::from_slice::<LockHolder>(&bytes).ok())
            .map_or_else(String::new, |h| {
                format!(" (run {} of pid {} on {}, since {})", h.run_id, h.pid, h.host, h.since)
            });
        Err(Error::Output {
            path: output.url().to_path_buf(),
            message: format!(
                "is being written by another run{held_by}; wait for it, or if it died, delete {}",
                output.url_of(name).display()
            ),
        })
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.holder.run_id
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = self.output.delete(&self.name);
    }
}

/// The objects an earlier run's manifests list: `_manifest.json`'s files
/// and each part manifest's under `_parts/`, with the manifests and
/// `_SUCCESS`; `None` when there is no manifest of this tool.
fn objects_of_earlier_run(output: &ObjectOutput, objects: &[String]) -> Result<Option<Vec<String>>, Error> {
    let manifests = objects
        .iter()
        .filter(|o| *o == super::MANIFEST_FILE || (o.starts_with("_parts/part-") && o.ends_with(".json")));
    let mut listed = Vec::new();
    for manifest in manifests {
        let Some(bytes) = output.read(manifest)? else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        if value["tool"] != "customer-events" {
            continue;
        }
        listed.push(manifest.clone());
        for file in value["files"].as_array().into_iter().flatten() {
            if let Some(path) = file["path"].as_str() {
                listed.push(path.to_string());
            }
        }
    }
    if listed.is_empty() {
        return Ok(None);
    }
    listed.push(super::SUCCESS_FILE.to_string());
    Ok(Some(listed))
}

/// Takes the prefix's lock and makes it ready for a whole run: refused if
/// it holds objects, unless `overwrite` and an earlier run's manifests list
/// every one of them (then exactly those are deleted). Foreign objects
/// refuse an overwrite before anything is deleted.
///
/// # Errors
/// [`Error::Output`] naming the prefix (or the foreign object) and the fix;
/// a failed request's error.
pub fn prepare(output: &Arc<ObjectOutput>, overwrite: bool) -> Result<StoreLock, Error> {
    let lock = StoreLock::acquire(output, LOCK_FILE)?;
    let output_error = |message: String| Error::Output {
        path: output.url().to_path_buf(),
        message,
    };
    let objects: Vec<String> = output
        .list("")?
        .into_iter()
        .filter(|o| !super::lock::is_lock_name(o))
        .collect();
    if objects.is_empty() {
        return Ok(lock);
    }
    if !overwrite {
        return Err(output_error(
            "already holds objects; pass --overwrite to replace them, or choose another --out".into(),
        ));
    }
    let Some(listed) = objects_of_earlier_run(output, &objects)? else {
        return Err(output_error(format!(
            "has no {} of this tool, so --overwrite cannot tell its objects (such as {}) from others; \
             choose another --out or delete them yourself",
            super::MANIFEST_FILE,
            output.url_of(&objects[0]).display()
        )));
    };
    let listed: std::collections::HashSet<String> = listed.into_iter().collect();
    if let Some(foreign) = objects.iter().find(|o| !listed.contains(*o)) {
        return Err(output_error(format!(
            "holds {}, which this tool did not write; --overwrite only deletes objects an earlier run \
             listed in its manifest, so choose another --out or move that object",
            output.url_of(foreign).display()
        )));
    }
    // Markers first, so a dataset being replaced never looks complete.
    let mut order: Vec<&String> = objects.iter().collect();
    order.sort_by_key(|o| (*o != super::SUCCESS_FILE, *o != super::MANIFEST_FILE));
    for object in order {
        output.delete(object)?;
    }
    Ok(lock)
}

/// Writes `_manifest.json` then `_SUCCESS` under the prefix.
///
/// # Errors
/// A failed request's error.
pub fn finish(output: &ObjectOutput, manifest_text: &str) -> Result<(), Error> {
    output.put(super::MANIFEST_FILE, manifest_text.as_bytes())?;
    output.put(super::SUCCESS_FILE, b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(dir: &Path) -> Arc<ObjectOutput> {
        Arc::new(ObjectOutput::open(Path::new(&format!("file://{}", dir.display()))).unwrap())
    }

    #[test]
    fn object_urls_are_told_from_folders() {
        assert!(is_object_url(Path::new("s3://bucket/prefix")));
        assert!(is_object_url(Path::new("gs://bucket")));
        assert!(is_object_url(Path::new("file:///tmp/x")));
        assert!(!is_object_url(Path::new("out/s3:")));
        assert!(!is_object_url(Path::new("null:")));
    }

    #[test]
    fn failures_are_told_by_the_errors_type_not_by_its_message() {
        let cause =
            |text: &str| -> Box<dyn std::error::Error + Send + Sync> { Box::new(io::Error::other(text.to_string())) };
        let no_answer = |kind| object_store::Error::Generic {
            store: "S3",
            source: Box::new(HttpError::new(kind, io::Error::other("no answer"))),
        };
        // Words of a refusal or an unreachable host in a message tell nothing.
        let worded = object_store::Error::Generic {
            store: "S3",
            source: cause("403 Forbidden: connect, dns, timed out"),
        };
        assert_eq!(Failure::of(&worded, true), Failure::Other);
        let denied = object_store::Error::PermissionDenied {
            path: "x".into(),
            source: cause(""),
        };
        assert_eq!(Failure::of(&denied, false), Failure::Refused);
        let unauthenticated = object_store::Error::Unauthenticated {
            path: "x".into(),
            source: cause(""),
        };
        assert_eq!(Failure::of(&unauthenticated, true), Failure::Refused);
        let not_found = || object_store::Error::NotFound {
            path: "x".into(),
            source: cause(""),
        };
        assert_eq!(Failure::of(&not_found(), true), Failure::NoBucket);
        assert_eq!(Failure::of(&not_found(), false), Failure::Other);
        assert_eq!(
            Failure::of(&no_answer(HttpErrorKind::Connect), false),
            Failure::Unreachable
        );
        assert_eq!(
            Failure::of(&no_answer(HttpErrorKind::Timeout), true),
            Failure::Unreachable
        );
        // An answer that could not be decoded is not an unreachable store.
        assert_eq!(Failure::of(&no_answer(HttpErrorKind::Decode), true), Failure::Other);
    }

    #[test]
    fn a_missing_folder_under_file_urls_is_no_missing_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let output = local(dir.path());
        let e = object_store::Error::NotFound {
            path: "x".into(),
            source: Box::new(io::Error::other("gone")),
        };
        let message = output.write_error("x", e).to_string();
        assert!(!message.contains("bucket"), "{message}");
    }

    #[test]
    fn an_upload_appears_only_on_commit_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let output = local(dir.path());
        // Three parts and a tail: a multipart upload.
        let data: Vec<u8> = (0..(3 * PART_BYTES + 1234)).map(|i| (i % 251) as u8).collect();
        let mut upload: Box<dyn Destination> = Box::new(output.upload("day/part-00000.bin"));
        for chunk in data.chunks(1_000_003) {
            upload.write_all(chunk).unwrap();
        }
        assert!(!dir.path().join("day/part-00000.bin").exists());
        let committed = upload.commit().unwrap();
        assert_eq!(committed.bytes, data.len() as u64);
        assert_eq!(committed.crc32, crc32fast::hash(&data));
        assert_eq!(std::fs::read(dir.path().join("day/part-00000.bin")).unwrap(), data);

        let mut dropped = output.upload("day/part-00001.bin");
        dropped.write_all(&data).unwrap();
        drop(dropped);
        let left: Vec<_> = walk(dir.path());
        assert_eq!(left, vec!["day/part-00000.bin".to_string()]);
    }

    fn walk(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn the_lock_is_put_if_absent_and_overwrite_deletes_only_listed_objects() {
        let dir = tempfile::tempdir().unwrap();
        let output = local(dir.path());
        let lock = prepare(&output, false).unwrap();
        let second = prepare(&output, false).unwrap_err().to_string();
        assert!(second.contains("another run"), "{second}");
        output.put("part-00000.parquet", b"data").unwrap();
        let manifest = r#"{"tool": "customer-events", "files": [{"path": "part-00000.parquet"}]}"#;
        finish(&output, manifest).unwrap();
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        let refused = prepare(&output, false).unwrap_err().to_string();
        assert!(refused.contains("--overwrite"), "{refused}");
        output.put("notes.txt", b"mine").unwrap();
        let foreign = prepare(&output, true).unwrap_err().to_string();
        assert!(foreign.contains("notes.txt"), "{foreign}");
        assert!(dir.path().join("part-00000.parquet").exists());
        output.delete("notes.txt").unwrap();
        let _lock = prepare(&output, true).unwrap();
        assert_eq!(walk(dir.path()), vec![LOCK_FILE.to_string()]);
    }
}
