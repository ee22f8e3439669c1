//! The SQLite backend: every run of a store in one file.
//!
//! Reads ([`Store`]) and writes during a run ([`SampleWriter`], on its own thread and connection)
//! use separate connections; WAL mode lets them proceed together. The [`RunStore`] contract is
//! kept in SQL where it matters most: "an answered sample is never overwritten" is the `WHERE`
//! clause of the sample upsert (see `writer.rs`), so it holds inside the committing transaction
//! whatever the caller does, and "one worker per run" is a row of `run_locks` checked in the
//! same transaction as every commit (see `locks.rs`).
//!
//! A store is opened for writing ([`Store::open`], by `medeval run`) or for reading only
//! ([`Store::open_read_only`], by every command that only reads). A read-only store is opened
//! with `SQLITE_OPEN_READONLY`, never migrated, and, when its file or folder cannot be written
//! (read-only media), as `immutable`, so SQLite needs to create no `-wal` or `-shm` file.
//!
//! Inside this module SQLite's errors travel as [`Error`]; they become a [`StoreError`] naming the
//! file at the public boundary, in plain words, so `rusqlite` never shows in the public API.

mod header;
mod locks;
mod schema;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use medeval_core::{Completion, Item, Outcome, RunManifest, Scored, ScorerId};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::{
    CorruptValue, ItemRecord, LockHolder, ResponseCache, RunListing, RunStart, RunStatus, RunStore,
    SampleRecord, SampleSink, StoreError, StoredRun, timestamp,
};

pub use schema::SCHEMA_VERSION;
pub use writer::SampleWriter;

use header::Header;
use locks::{Heartbeat, Holder};

/// What to do about a damaged file, after saying what is wrong with it.
const DAMAGED_ADVICE: &str = "check that --store names your store; if it does, restore it from a backup (`sqlite3 FILE .recover` can often save its rows). Nothing was written to it";

/// What to do about a store that cannot be written.
const READ_ONLY_ADVICE: &str = "commands that only read (show, runs, table, compare, rank, probe) work on it; to run or delete, copy it to a writable folder and pass that --store";

/// A failure inside the SQLite backend, before it is given the store's file.
#[derive(Debug)]
enum Error {
    /// SQLite itself failed.
    Sql(rusqlite::Error),
    /// The file system failed (reading the header, checking access).
    Io(std::io::Error),
    /// A thread could not be started.
    Thread(String),
    /// Something the store decided that names no store (an unknown run ...).
    Store(StoreError),
    /// Not a medeval store, or damaged: why, and what to do.
    NotAStore(String),
    /// Written by a newer medeval.
    NewerSchema { found: u32 },
    /// Cannot be written: why, and what to do.
    ReadOnly(String),
    /// Cannot be used here: why, and what to do.
    Unsupported(String),
    /// A stored value does not parse.
    Corrupt {
        what: &'static str,
        run: String,
        detail: String,
    },
    /// Another live process holds the run.
    Locked {
        run: String,
        holder: Box<LockHolder>,
    },
    /// This store does not hold the run (any more).
    LockLost {
        run: String,
        holder: Option<Box<LockHolder>>,
    },
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sql(error)
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl Error {
    /// The public error, naming the store's file, and saying in plain words what SQLite's codes
    /// for a damaged or read-only file mean.
    fn at(self, path: &Path) -> StoreError {
        let location = path.display().to_string();
        match self {
            Self::Sql(error) => match error.sqlite_error_code() {
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                    StoreError::NotAStore {
                        location,
                        reason: damage(path, &error),
                    }
                }
                Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
                    location,
                    reason: format!("{}; {READ_ONLY_ADVICE}", why_read_only(path)),
                },
                _ => StoreError::backend(location, error),
            },
            Self::Io(error) => StoreError::backend(location, error),
            Self::Thread(error) => {
                StoreError::backend(location, format!("cannot start a store thread: {error}"))
            }
            Self::Store(error) => error,
            Self::NotAStore(reason) => StoreError::NotAStore { location, reason },
            Self::NewerSchema { found } => StoreError::NewerSchema {
                location,
                found,
                supported: SCHEMA_VERSION,
            },
            Self::ReadOnly(reason) => StoreError::ReadOnly { location, reason },
            Self::Unsupported(reason) => StoreError::Unsupported { location, reason },
            Self::Corrupt { what, run, detail } => StoreError::Corrupt(Box::new(CorruptValue {
                location,
                what,
                run,
                detail,
            })),
            Self::Locked { run, holder } => StoreError::RunLocked {
                location,
                run,
                holder,
            },
            Self::LockLost { run, holder } => StoreError::LockLost {
                location,
                run,
                holder,
            },
        }
    }
}

/// What is wrong with a file SQLite found damaged or foreign, with what to do: the header's
/// verdict when it has one, SQLite's words otherwise.
fn damage(path: &Path, error: &rusqlite::Error) -> String {
    let found = match header::inspect(path, !sibling(path, "-wal").exists()) {
        Ok(Header::Damaged(why)) => why,
        _ => format!("SQLite could not read it ({error})"),
    };
    format!("{found}; {DAMAGED_ADVICE}")
}

/// Why the store at `path` cannot be written, as far as the file system tells.
fn why_read_only(path: &Path) -> String {
    let folder = folder_of(path);
    if let Err(error) = writable(path) {
        format!("the file cannot be written ({error})")
    } else if let Err(error) = writable(folder) {
        format!(
            "its folder {} cannot be written ({error}), and SQLite needs to create {} and {} there",
            folder.display(),
            sibling(path, "-wal").display(),
            sibling(path, "-shm").display()
        )
    } else {
        "it was opened for reading only".to_owned()
    }
}

/// `Ok` when this process may write `path` (a file, or a folder to create files in).
fn writable(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        rustix::fs::access(path, rustix::fs::Access::WRITE_OK).map_err(std::io::Error::from)
    }
    #[cfg(not(unix))]
    {
        if std::fs::metadata(path)?.permissions().readonly() {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        } else {
            Ok(())
        }
    }
}

/// The folder holding `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `path` with `suffix` appended to its file name: SQLite's `-wal` and `-shm` files.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `path` as an SQLite URI (`file:` with every byte outside the unreserved set escaped), with
/// `query` appended.
fn uri(path: &Path, query: &str) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let mut uri = String::from(if path.has_root() { "file://" } else { "file:" });
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

type Result<T> = std::result::Result<T, Error>;

/// How a store was opened.
#[derive(Debug)]
enum Access {
    /// For writing: the holder its locks are taken as, and the heartbeat once it holds a run.
    ReadWrite {
        holder: Holder,
        heartbeat: Option<Heartbeat>,
    },
    /// For reading only, through connections opened from this URI.
    ReadOnly { uri: String },
}

impl Access {
    /// The holder runs are taken as; [`Error::ReadOnly`] for a store opened for reading.
    fn holder(&self) -> Result<&Holder> {
        match self {
            Self::ReadWrite { holder, .. } => Ok(holder),
            Self::ReadOnly { .. } => Err(Error::ReadOnly(format!(
                "it was opened for reading only; {READ_ONLY_ADVICE}"
            ))),
        }
    }
}

/// An open store: one SQLite file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The schema version of the file: [`SCHEMA_VERSION`] once opened for writing, the file's own
    /// (perhaps older) when opened for reading only.
    version: u32,
    access: Access,
}

impl Store {
    /// Opens the store at `path` for writing, creating it if needed (an empty file becomes a new
    /// store), and migrating a store of an older schema in place.
    ///
    /// A file that is not a medeval store, or is damaged, is [`StoreError::NotAStore`]; a newer
    /// store is [`StoreError::NewerSchema`]; a file, folder or file system that cannot be written
    /// is [`StoreError::ReadOnly`]. All of them leave the file as it was.
    pub fn open(path: &Path) -> std::result::Result<Self, StoreError> {
        Self::open_for_writing(path).map_err(|e| e.at(path))
    }

    /// Opens an existing store for writing; a missing file is [`StoreError::Missing`] rather than
    /// a new store.
    pub fn open_existing(path: &Path) -> std::result::Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        Self::open(path)
    }

    /// Opens an existing store for reading only, for commands that only read: nothing is written
    /// to the file, and a store of an older schema is read as it is.
    ///
    /// The connection is `SQLITE_OPEN_READONLY`. When the file or its folder cannot be written
    /// (read-only media) it is also `immutable`, so SQLite creates no `-wal` or `-shm` file; no
    /// process can be writing to such a store. A missing file is [`StoreError::Missing`], an empty
    /// or damaged one [`StoreError::NotAStore`].
    pub fn open_read_only(path: &Path) -> std::result::Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        Self::open_for_reading(path).map_err(|e| e.at(path))
    }

    fn open_for_writing(path: &Path) -> Result<Self> {
        if path.exists() {
            check_file(path)?;
            if let Err(error) = writable(path) {
                return Err(Error::ReadOnly(format!(
                    "the file cannot be written ({error}), and `medeval run` stores every response in it; {READ_ONLY_ADVICE}"
                )));
            }
        }
        let folder = folder_of(path);
        if !folder.is_dir() {
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "the folder {} does not exist; create it, or pass another --store",
                    folder.display()
                ),
            )));
        }
        let needs_files =
            !path.exists() || !sibling(path, "-wal").exists() || !sibling(path, "-shm").exists();
        if needs_files {
            if let Err(error) = writable(folder) {
                return Err(Error::ReadOnly(format!(
                    "its folder {} cannot be written ({error}), and a store being written needs {} and {} beside it; {READ_ONLY_ADVICE}",
                    folder.display(),
                    sibling(path, "-wal").display(),
                    sibling(path, "-shm").display()
                )));
            }
        }
        let mut conn = Connection::open(path)?;
        schema::open(&mut conn)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            version: SCHEMA_VERSION,
            access: Access::ReadWrite {
                holder: Holder::new(),
                heartbeat: None,
            },
        })
    }

    fn open_for_reading(path: &Path) -> Result<Self> {
        if let Header::Empty = check_file(path)? {
            return Err(Error::NotAStore(
                "the file is empty (0 bytes): no run was ever written to it; `medeval run --store FILE` writes runs there"
                    .into(),
            ));
        }
        let uri = uri(path, &read_only_query(path)?);
        let conn = open_read_only_connection(&uri)?;
        let version = schema::open_read_only(&conn)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            version,
            access: Access::ReadOnly { uri },
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the store was opened for reading only.
    pub fn is_read_only(&self) -> bool {
        matches!(self.access, Access::ReadOnly { .. })
    }

    /// The holder this store takes runs as; [`Error::ReadOnly`] for a store opened for reading.
    fn holder(&self) -> Result<&Holder> {
        self.access.holder()
    }

    /// Starts (or continues) the run described by `manifest` over `items`, taking it for this
    /// store; see [`RunStore::begin_run`].
    pub fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> std::result::Result<RunStart, StoreError> {
        self.start_heartbeat().map_err(|e| e.at(&self.path))?;
        let begin = |conn: &mut Connection, access: &Access| -> Result<RunStart> {
            begin_run(conn, access.holder()?, manifest, items, fresh)
        };
        begin(&mut self.conn, &self.access).map_err(|e| e.at(&self.path))
    }

    /// Starts the thread that keeps this store's locks alive, unless it runs already.
    fn start_heartbeat(&mut self) -> Result<()> {
        if let Access::ReadWrite { holder, heartbeat } = &mut self.access {
            if heartbeat.is_none() {
                *heartbeat = Some(Heartbeat::start(&self.path, holder.token())?);
            }
        }
        Ok(())
    }

    /// Records the end of an invocation: the run's status, and when it finished; releases the
    /// run (see [`RunStore::finish_run`]).
    pub fn finish_run(
        &mut self,
        run_id: &str,
        status: RunStatus,
    ) -> std::result::Result<(), StoreError> {
        let finish = |conn: &mut Connection, access: &Access| -> Result<()> {
            finish_run(conn, access.holder()?.token(), run_id, status)
        };
        finish(&mut self.conn, &self.access).map_err(|e| e.at(&self.path))
    }

    /// A writer for the samples of `run_id`, on its own thread and connection; it commits only
    /// while this store holds the run.
    pub fn writer(&self, run_id: &str) -> std::result::Result<SampleWriter, StoreError> {
        let open = || -> Result<(Connection, String)> {
            let token = self.holder()?.token().to_owned();
            require_run(&self.conn, run_id)?;
            locks::require_held(&self.conn, run_id, &token)?;
            let conn = Connection::open(&self.path)?;
            schema::configure(&conn)?;
            Ok((conn, token))
        };
        let (conn, token) = open().map_err(|e| e.at(&self.path))?;
        Ok(SampleWriter::spawn(
            conn,
            self.path.clone(),
            run_id.to_owned(),
            token,
        ))
    }

    /// A cached response for `key`, if the cache holds one.
    pub fn cached_completion(
        &self,
        key: &str,
    ) -> std::result::Result<Option<Completion>, StoreError> {
        cached_completion(&self.conn, key).map_err(|e| e.at(&self.path))
    }

    /// A reader of the response cache with its own connection, to be used from other threads
    /// while a run writes.
    pub fn cache_reader(&self) -> std::result::Result<CacheReader, StoreError> {
        let open = || -> Result<Connection> {
            match &self.access {
                Access::ReadWrite { .. } => {
                    let conn = Connection::open(&self.path)?;
                    schema::configure(&conn)?;
                    Ok(conn)
                }
                Access::ReadOnly { uri } => open_read_only_connection(uri),
            }
        };
        let conn = open().map_err(|e| e.at(&self.path))?;
        Ok(CacheReader {
            conn,
            path: self.path.clone(),
        })
    }

    /// Replaces the stored verdicts of a run (after the extraction rules changed) and records the
    /// extractor version in its manifest; see [`RunStore::rescore`].
    pub fn rescore(
        &mut self,
        run_id: &str,
        scorer: &ScorerId,
        verdicts: &[(String, u32, Scored)],
    ) -> std::result::Result<(), StoreError> {
        let rescore_run = |conn: &mut Connection, access: &Access| -> Result<()> {
            rescore(conn, access.holder()?.token(), run_id, scorer, verdicts)
        };
        rescore_run(&mut self.conn, &self.access).map_err(|e| e.at(&self.path))
    }

    /// Every run, newest first, with its counts.
    pub fn list_runs(&self) -> std::result::Result<Vec<RunListing>, StoreError> {
        list_runs(&self.conn).map_err(|e| e.at(&self.path))
    }

    /// Resolves a run selector: a full id, a unique id prefix, or `None` for the newest run.
    pub fn resolve_run(&self, selector: Option<&str>) -> std::result::Result<String, StoreError> {
        resolve_run(&self.conn, selector).map_err(|e| e.at(&self.path))
    }

    /// Loads a run with its items and samples.
    pub fn load_run(&self, run_id: &str) -> std::result::Result<StoredRun, StoreError> {
        load_run(&self.conn, self.version, run_id).map_err(|e| e.at(&self.path))
    }

    /// Deletes a run and everything stored for it (see [`RunStore::delete_run`]).
    pub fn delete_run(&mut self, run_id: &str) -> std::result::Result<(), StoreError> {
        let delete = |conn: &mut Connection, access: &Access| -> Result<()> {
            delete_run(conn, access.holder()?.token(), run_id)
        };
        delete(&mut self.conn, &self.access).map_err(|e| e.at(&self.path))
    }

    /// Who holds `run_id`, alive or not; `None` when no one does (see [`RunStore::run_lock`]).
    pub fn run_lock(&self, run_id: &str) -> std::result::Result<Option<LockHolder>, StoreError> {
        let read = || -> Result<Option<LockHolder>> {
            require_run(&self.conn, run_id)?;
            if self.version < 3 {
                // Stores before schema 3 had no locks.
                return Ok(None);
            }
            Ok(locks::holder_of(&self.conn, run_id)?.map(|(_, holder)| holder))
        };
        read().map_err(|e| e.at(&self.path))
    }
}

impl Drop for Store {
    /// Releases every run this store still holds (a run that failed before `finish_run`), so the
    /// next process need not wait for the lock to go stale.
    fn drop(&mut self) {
        if let Access::ReadWrite { holder, heartbeat } = &mut self.access {
            drop(heartbeat.take());
            // Nothing to do about a failure here: the lock then goes stale and is taken over.
            let _ = locks::release_all(&self.conn, holder.token());
        }
    }
}

/// Checks what the file at `path` is before SQLite opens it: a folder or a damaged file is
/// [`Error::NotAStore`]; an empty file or a sound header is returned.
fn check_file(path: &Path) -> Result<Header> {
    if path.is_dir() {
        return Err(Error::NotAStore(
            "it is a folder; --store names the store's file (medeval.db by default)".into(),
        ));
    }
    match header::inspect(path, !sibling(path, "-wal").exists()) {
        Ok(Header::Damaged(why)) => Err(Error::NotAStore(format!("{why}; {DAMAGED_ADVICE}"))),
        Ok(header) => Ok(header),
        Err(error) => Err(Error::Io(std::io::Error::new(
            error.kind(),
            format!("cannot read it: {error}"),
        ))),
    }
}

/// The URI query for opening the store at `path` read-only: `mode=ro`, and `immutable=1` when the
/// file or its folder cannot be written, so SQLite needs no `-wal` or `-shm` file.
///
/// A store on read-only media that still has a write-ahead log with changes in it (a run was
/// killed and the files copied as they were) cannot be read immutably (the log would be
/// ignored): it is read through its `-shm` file when that was copied too, and refused otherwise.
fn read_only_query(path: &Path) -> Result<String> {
    let folder = folder_of(path);
    if writable(path).is_ok() && writable(folder).is_ok() {
        return Ok("mode=ro".into());
    }
    let wal = sibling(path, "-wal");
    let wal_has_changes = std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 0);
    if !wal_has_changes {
        return Ok("mode=ro&immutable=1".into());
    }
    if sibling(path, "-shm").exists() {
        return Ok("mode=ro".into());
    }
    Err(Error::ReadOnly(format!(
        "its write-ahead log {} holds changes that are not in the store file yet, and SQLite cannot read them without creating {} in the read-only folder {}; copy the store and its -wal file to a writable folder and read them there",
        wal.display(),
        sibling(path, "-shm").display(),
        folder.display()
    )))
}

/// A read-only connection through `uri`.
fn open_read_only_connection(uri: &str) -> Result<Connection> {
    Ok(Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?)
}

/// SQLite is the first backend; each method is the inherent one of the same name, with the
/// handles boxed.
impl RunStore for Store {
    fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> std::result::Result<RunStart, StoreError> {
        Store::begin_run(self, manifest, items, fresh)
    }

    fn finish_run(
        &mut self,
        run_id: &str,
        status: RunStatus,
    ) -> std::result::Result<(), StoreError> {
        Store::finish_run(self, run_id, status)
    }

    fn writer(&self, run_id: &str) -> std::result::Result<Box<dyn SampleSink>, StoreError> {
        Ok(Box::new(Store::writer(self, run_id)?))
    }

    fn cache_reader(&self) -> std::result::Result<Box<dyn ResponseCache>, StoreError> {
        Ok(Box::new(Store::cache_reader(self)?))
    }

    fn rescore(
        &mut self,
        run_id: &str,
        scorer: &ScorerId,
        verdicts: &[(String, u32, Scored)],
    ) -> std::result::Result<(), StoreError> {
        Store::rescore(self, run_id, scorer, verdicts)
    }

    fn list_runs(&self) -> std::result::Result<Vec<RunListing>, StoreError> {
        Store::list_runs(self)
    }

    fn resolve_run(&self, selector: Option<&str>) -> std::result::Result<String, StoreError> {
        Store::resolve_run(self, selector)
    }

    fn load_run(&self, run_id: &str) -> std::result::Result<StoredRun, StoreError> {
        Store::load_run(self, run_id)
    }

    fn delete_run(&mut self, run_id: &str) -> std::result::Result<(), StoreError> {
        Store::delete_run(self, run_id)
    }

    fn run_lock(&self, run_id: &str) -> std::result::Result<Option<LockHolder>, StoreError> {
        Store::run_lock(self, run_id)
    }
}

/// Reads the response cache on its own connection (see [`Store::cache_reader`]).
#[derive(Debug)]
pub struct CacheReader {
    conn: Connection,
    path: PathBuf,
}

impl CacheReader {
    /// A cached response for `key`, if the cache holds one.
    pub fn get(&self, key: &str) -> std::result::Result<Option<Completion>, StoreError> {
        cached_completion(&self.conn, key).map_err(|e| e.at(&self.path))
    }
}

impl ResponseCache for CacheReader {
    fn get(&self, key: &str) -> std::result::Result<Option<Completion>, StoreError> {
        CacheReader::get(self, key)
    }

    fn put(
        &self,
        key: &str,
        model: &str,
        completion: &Completion,
    ) -> std::result::Result<(), StoreError> {
        let json = to_json(completion);
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO response_cache (key, model, completion, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut insert| insert.execute(params![key, model, json, timestamp::now()]))
            .map_err(|e| Error::Sql(e).at(&self.path))?;
        Ok(())
    }
}

fn begin_run(
    conn: &mut Connection,
    holder: &Holder,
    manifest: &RunManifest,
    items: &[Item],
    fresh: bool,
) -> Result<RunStart> {
    let identity = manifest.identity();
    let now = timestamp::now();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<(String, String)> = if fresh {
        None
    } else {
        tx.query_row(
            "SELECT id, manifest FROM runs WHERE identity = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1",
            [&identity],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
    };
    let mut manifest = manifest.clone();
    let (run_id, resumed, stale_scorer) = match existing {
        Some((run_id, stored)) => {
            let stored = parse_manifest(&stored, &run_id)?;
            manifest.started_at = stored.started_at.clone();
            let stale = (stored.scorer != manifest.scorer).then_some(stored.scorer);
            if let Some(old) = &stale {
                // The verdicts are still the old scorer's; only `rescore` may say otherwise, so
                // an invocation that dies before rescoring leaves the run visibly stale.
                manifest.scorer.clone_from(old);
            }
            (run_id, true, stale)
        }
        None => {
            manifest.started_at = Some(now.clone());
            let run_id = unused_run_id(&tx, &identity)?;
            tx.execute(
                "INSERT INTO runs (id, identity, manifest, status, created_at, updated_at) VALUES (?1, ?2, '{}', 'running', ?3, ?3)",
                params![run_id, identity, now],
            )?;
            (run_id, false, None)
        }
    };
    // Taken in this transaction, before anything is changed: a refused process leaves the run
    // exactly as it was, and two processes cannot both pick the run and then both take it.
    let took_over = locks::acquire(&tx, &run_id, holder)?;
    manifest.finished_at = None;
    let manifest_json = to_json(&manifest);
    tx.execute(
        "UPDATE runs SET manifest = ?2, status = 'running', updated_at = ?3 WHERE id = ?1",
        params![run_id, manifest_json, now],
    )?;
    tx.execute(
        "INSERT INTO invocations (run_id, started_at, manifest) VALUES (?1, ?2, ?3)",
        params![run_id, now, manifest_json],
    )?;
    {
        let mut insert = tx.prepare(
            "INSERT OR IGNORE INTO items (run_id, position, item_id, record) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (position, item) in items.iter().enumerate() {
            insert.execute(params![
                run_id,
                position as i64,
                item.id,
                to_json(&ItemRecord::from(item))
            ])?;
        }
    }
    let answered = {
        let mut select =
            tx.prepare("SELECT item_id, sample FROM samples WHERE run_id = ?1 AND status = 'ok'")?;
        select
            .query_map([&run_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<std::result::Result<HashSet<(String, u32)>, _>>()?
    };
    tx.commit()?;
    Ok(RunStart {
        run_id,
        resumed,
        answered,
        stale_scorer,
        took_over,
    })
}

fn delete_run(conn: &mut Connection, token: &str, run_id: &str) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    require_run(&tx, run_id)?;
    if let Some((held_by, holder)) = locks::holder_of(&tx, run_id)? {
        let now = crate::lock::now_unix_ms();
        if held_by != token && holder.staleness(now).is_none() {
            return Err(Error::Locked {
                run: run_id.to_owned(),
                holder: Box::new(holder),
            });
        }
    }
    // Children first: items and invocations reference the run.
    for table in ["attempts", "samples", "items", "invocations", "run_locks"] {
        tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [run_id])?;
    }
    tx.execute("DELETE FROM runs WHERE id = ?1", [run_id])?;
    tx.commit()?;
    Ok(())
}

fn finish_run(conn: &mut Connection, token: &str, run_id: &str, status: RunStatus) -> Result<()> {
    let now = timestamp::now();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut manifest = stored_manifest(&tx, run_id)?;
    locks::refuse_if_taken(&tx, run_id, token)?;
    manifest.finished_at = Some(now.clone());
    tx.execute(
        "UPDATE runs SET manifest = ?2, status = ?3, updated_at = ?4 WHERE id = ?1",
        params![run_id, to_json(&manifest), status.as_str(), now],
    )?;
    tx.execute(
        "UPDATE invocations SET ended_at = ?2 WHERE rowid = (SELECT MAX(rowid) FROM invocations WHERE run_id = ?1)",
        params![run_id, now],
    )?;
    locks::release(&tx, run_id, token)?;
    tx.commit()?;
    Ok(())
}

fn rescore(
    conn: &mut Connection,
    token: &str,
    run_id: &str,
    scorer: &ScorerId,
    verdicts: &[(String, u32, Scored)],
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut manifest = stored_manifest(&tx, run_id)?;
    locks::refuse_if_taken(&tx, run_id, token)?;
    {
        // Verdicts only, and only of answered samples: the response is the evidence a verdict is
        // made from, and an error keeps the verdict that says why there is no response.
        let mut update = tx.prepare(
            "UPDATE samples SET outcome = ?4, extracted = ?5, rule = ?6, metrics = ?7
             WHERE run_id = ?1 AND item_id = ?2 AND sample = ?3 AND status = 'ok'",
        )?;
        for (item_id, sample, scored) in verdicts {
            update.execute(params![
                run_id,
                item_id,
                sample,
                scored.outcome.as_str(),
                scored.extracted,
                scored.rule,
                metrics_json(scored)
            ])?;
        }
    }
    manifest.scorer = scorer.clone();
    tx.execute(
        "UPDATE runs SET manifest = ?2 WHERE id = ?1",
        params![run_id, to_json(&manifest)],
    )?;
    tx.commit()?;
    Ok(())
}

fn list_runs(conn: &Connection) -> Result<Vec<RunListing>> {
    let mut select = conn.prepare(
        "SELECT r.id, r.manifest, r.status, r.created_at, r.updated_at,
                (SELECT COUNT(*) FROM items i WHERE i.run_id = r.id),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'ok'),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'error'),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'correct'),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'generated')
         FROM runs r ORDER BY r.created_at DESC, r.rowid DESC",
    )?;
    let rows = select.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, i64>(5)? as u64,
            row.get::<_, i64>(6)? as u64,
            row.get::<_, i64>(7)? as u64,
            row.get::<_, i64>(8)? as u64,
            row.get::<_, i64>(9)? as u64,
        ))
    })?;
    let mut listings = Vec::new();
    for row in rows {
        let (
            id,
            manifest,
            status,
            created_at,
            updated_at,
            items,
            answered,
            errors,
            correct,
            generated,
        ) = row?;
        let manifest = parse_manifest(&manifest, &id)?;
        listings.push(RunListing {
            id,
            manifest,
            status: RunStatus::parse(&status),
            created_at,
            updated_at,
            items,
            answered,
            errors,
            correct,
            generated,
        });
    }
    Ok(listings)
}

fn resolve_run(conn: &Connection, selector: Option<&str>) -> Result<String> {
    let Some(selector) = selector else {
        return conn
            .query_row(
                "SELECT id FROM runs ORDER BY updated_at DESC, rowid DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?
            .ok_or(Error::Store(StoreError::NoRuns));
    };
    let mut select = conn.prepare(
        "SELECT id FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 ORDER BY id",
    )?;
    let matches = select
        .query_map([selector], |row| row.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if matches.iter().any(|id| id == selector) {
        return Ok(selector.to_owned());
    }
    match matches.len() {
        0 => Err(StoreError::UnknownRun(selector.to_owned()).into()),
        1 => Ok(matches.into_iter().next().unwrap_or_default()),
        _ => Err(StoreError::AmbiguousRun {
            prefix: selector.to_owned(),
            matches,
        }
        .into()),
    }
}

fn load_run(conn: &Connection, version: u32, run_id: &str) -> Result<StoredRun> {
    let (manifest, status): (String, String) = conn
        .query_row(
            "SELECT manifest, status FROM runs WHERE id = ?1",
            [run_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::UnknownRun(run_id.to_owned()))?;
    let manifest = parse_manifest(&manifest, run_id)?;

    let mut select_items =
        conn.prepare("SELECT record FROM items WHERE run_id = ?1 ORDER BY position")?;
    let items = select_items
        .query_map([run_id], |row| row.get::<_, String>(0))?
        .map(|json| -> Result<ItemRecord> {
            serde_json::from_str(&json?).map_err(|source| corrupt("item", run_id, &source))
        })
        .collect::<Result<Vec<_>>>()?;

    // A store read as it is (read-only, schema 1) has no image geometry.
    let images = if version >= 2 { "s.images" } else { "NULL" };
    let mut select_samples = conn.prepare(&format!(
        "SELECT s.item_id, s.sample, s.completion, s.error, s.latency_ms, s.cached, s.request_sha256,
                s.outcome, s.extracted, s.rule, s.metrics, s.completed_at, {images}
         FROM samples s JOIN items i ON i.run_id = s.run_id AND i.item_id = s.item_id
         WHERE s.run_id = ?1 ORDER BY i.position, s.sample"
    ))?;
    let rows = select_samples.query_map([run_id], |row| {
        Ok(RawSample {
            item_id: row.get(0)?,
            sample: row.get(1)?,
            completion: row.get(2)?,
            error: row.get(3)?,
            latency_ms: row.get(4)?,
            cached: row.get(5)?,
            request_sha256: row.get(6)?,
            outcome: row.get(7)?,
            extracted: row.get(8)?,
            rule: row.get(9)?,
            metrics: row.get(10)?,
            completed_at: row.get(11)?,
            images: row.get(12)?,
        })
    })?;
    let mut samples = Vec::new();
    for raw in rows {
        samples.push(raw?.into_record(run_id)?);
    }
    Ok(StoredRun {
        id: run_id.to_owned(),
        manifest,
        status: RunStatus::parse(&status),
        items,
        samples,
    })
}

fn cached_completion(conn: &Connection, key: &str) -> Result<Option<Completion>> {
    let found: Option<String> = conn
        .prepare_cached("SELECT completion FROM response_cache WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    // A cache row that no longer parses is treated as absent: the request is simply sent.
    Ok(found.and_then(|json| serde_json::from_str(&json).ok()))
}

/// [`StoreError::UnknownRun`] unless the store holds `run_id`.
fn require_run(conn: &Connection, run_id: &str) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
        [run_id],
        |row| row.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::UnknownRun(run_id.to_owned()).into())
    }
}

/// The manifest stored for `run_id`; [`StoreError::UnknownRun`] when there is no such run.
fn stored_manifest(conn: &Connection, run_id: &str) -> Result<RunManifest> {
    let stored: String = conn
        .query_row("SELECT manifest FROM runs WHERE id = ?1", [run_id], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or_else(|| StoreError::UnknownRun(run_id.to_owned()))?;
    parse_manifest(&stored, run_id)
}

fn parse_manifest(json: &str, run_id: &str) -> Result<RunManifest> {
    serde_json::from_str(json).map_err(|source| corrupt("manifest", run_id, &source))
}

fn corrupt(what: &'static str, run_id: &str, detail: &dyn std::fmt::Display) -> Error {
    Error::Corrupt {
        what,
        run: run_id.to_owned(),
        detail: detail.to_string(),
    }
}

/// A sample row as read, before its JSON columns are parsed.
struct RawSample {
    item_id: String,
    sample: u32,
    completion: Option<String>,
    error: Option<String>,
    latency_ms: f64,
    cached: bool,
    request_sha256: Option<String>,
    outcome: String,
    extracted: Option<String>,
    rule: String,
    metrics: Option<String>,
    completed_at: String,
    images: Option<String>,
}

impl RawSample {
    fn into_record(self, run_id: &str) -> Result<SampleRecord> {
        let completion = self
            .completion
            .map(|json| serde_json::from_str::<Completion>(&json))
            .transpose()
            .map_err(|source| corrupt("completion", run_id, &source))?;
        let metrics = self
            .metrics
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|source| corrupt("metrics", run_id, &source))?
            .unwrap_or_default();
        // Samples stored before image geometry was recorded (schema 1) have none.
        let images = self
            .images
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|source| corrupt("image geometry", run_id, &source))?
            .unwrap_or_default();
        let outcome = Outcome::parse(&self.outcome).ok_or_else(|| {
            corrupt(
                "outcome",
                run_id,
                &format!(
                    "sample {} has unknown outcome {:?}",
                    self.item_id, self.outcome
                ),
            )
        })?;
        Ok(SampleRecord {
            item_id: self.item_id,
            sample: self.sample,
            completion,
            error: self.error,
            attempts: Vec::new(),
            latency_ms: self.latency_ms,
            cached: self.cached,
            request_sha256: self.request_sha256,
            scored: Scored {
                outcome,
                extracted: self.extracted,
                rule: self.rule,
                metrics,
            },
            completed_at: self.completed_at,
            images,
        })
    }
}

/// Run ids are the first 8 hex digits of the identity, lengthened when that is taken.
fn unused_run_id(conn: &Connection, identity: &str) -> Result<String> {
    let mut exists = conn.prepare("SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)")?;
    let base = &identity[..8.min(identity.len())];
    let mut candidate = base.to_owned();
    let mut suffix = 1u64;
    while exists.query_row([&candidate], |row| row.get::<_, bool>(0))? {
        suffix += 1;
        candidate = format!("{base}-{suffix}");
    }
    Ok(candidate)
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // The stored types are plain data; serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn metrics_json(scored: &Scored) -> Option<String> {
    (!scored.metrics.is_empty()).then(|| to_json(&scored.metrics))
}
