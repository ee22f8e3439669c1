//! Run locks in SQLite: the `run_locks` table, one row per held run, and the heartbeat thread.
//!
//! Every change to a lock happens inside a transaction that holds SQLite's write lock from its
//! start (`BEGIN IMMEDIATE`): the check of the row and the change that follows it are one step,
//! so of two processes breaking the same stale lock the second finds the first's fresh row and
//! is refused. The rules for when a holder is alive are [`crate::lock`]'s.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Error, Result, schema};
use crate::lock::{self, HEARTBEAT_EVERY, LockHolder, TakenOver};

/// This store's identity as a lock holder: a token no other store handle shares (two handles in
/// one process are two workers), and the process it records.
#[derive(Debug)]
pub(super) struct Holder {
    token: String,
    process: LockHolder,
}

impl Holder {
    /// A holder for a newly opened store.
    pub(super) fn new() -> Self {
        static OPENED: AtomicU64 = AtomicU64::new(0);
        let process = LockHolder::this_process();
        let token = format!(
            "{}/{}/{}/{}",
            process.host,
            process.pid,
            process.heartbeat_unix_ms,
            OPENED.fetch_add(1, Ordering::Relaxed)
        );
        Self { token, process }
    }

    /// The token the rows of this store carry.
    pub(super) fn token(&self) -> &str {
        &self.token
    }
}

/// Takes `run_id` for `holder`, inside the caller's immediate transaction.
///
/// A run this holder has already is kept (its heartbeat refreshed); a run another live holder
/// has is [`Error::Locked`]; a stale holder's lock is replaced, and returned.
pub(super) fn acquire(
    conn: &Connection,
    run_id: &str,
    holder: &Holder,
) -> Result<Option<TakenOver>> {
    let now = lock::now_unix_ms();
    let mut taken_over = None;
    if let Some((token, current)) = holder_of(conn, run_id)? {
        if token == holder.token {
            conn.execute(
                "UPDATE run_locks SET heartbeat_ms = ?2 WHERE run_id = ?1",
                params![run_id, ms(now)],
            )?;
            return Ok(None);
        }
        match current.staleness(now) {
            None => {
                return Err(Error::Locked {
                    run: run_id.to_owned(),
                    holder: Box::new(current),
                });
            }
            Some(staleness) => {
                taken_over = Some(TakenOver {
                    holder: current,
                    staleness,
                });
            }
        }
    }
    conn.execute(
        "INSERT OR REPLACE INTO run_locks (run_id, holder, pid, host, machine, since, heartbeat_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            run_id,
            holder.token,
            holder.process.pid,
            holder.process.host,
            holder.process.machine,
            crate::timestamp::now(),
            ms(now)
        ],
    )?;
    Ok(taken_over)
}

/// The token and holder of `run_id`'s lock, if it has one.
pub(super) fn holder_of(conn: &Connection, run_id: &str) -> Result<Option<(String, LockHolder)>> {
    Ok(conn
        .query_row(
            "SELECT holder, pid, host, machine, since, heartbeat_ms FROM run_locks WHERE run_id = ?1",
            [run_id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    LockHolder {
                        pid: row.get(1)?,
                        host: row.get(2)?,
                        machine: row.get(3)?,
                        since: row.get(4)?,
                        heartbeat_unix_ms: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
                    },
                ))
            },
        )
        .optional()?)
}

/// [`Error::LockLost`] unless `token` holds `run_id`: a sink writes only while its store holds
/// the run.
pub(super) fn require_held(conn: &Connection, run_id: &str, token: &str) -> Result<()> {
    match holder_of(conn, run_id)? {
        Some((held_by, _)) if held_by == token => Ok(()),
        other => Err(Error::LockLost {
            run: run_id.to_owned(),
            holder: other.map(|(_, holder)| Box::new(holder)),
        }),
    }
}

/// [`Error::LockLost`] when a holder other than `token` has `run_id`: a store that lost a run
/// leaves it to its new holder. A run no one holds is this store's to finish or rescore.
pub(super) fn refuse_if_taken(conn: &Connection, run_id: &str, token: &str) -> Result<()> {
    match holder_of(conn, run_id)? {
        Some((held_by, holder)) if held_by != token => Err(Error::LockLost {
            run: run_id.to_owned(),
            holder: Some(Box::new(holder)),
        }),
        _ => Ok(()),
    }
}

/// Releases `run_id` if `token` holds it.
pub(super) fn release(conn: &Connection, run_id: &str, token: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM run_locks WHERE run_id = ?1 AND holder = ?2",
        params![run_id, token],
    )?;
    Ok(())
}

/// Releases every run `token` holds.
pub(super) fn release_all(conn: &Connection, token: &str) -> Result<()> {
    conn.execute("DELETE FROM run_locks WHERE holder = ?1", [token])?;
    Ok(())
}

/// A thread that refreshes the heartbeat of every run a store holds, every
/// [`HEARTBEAT_EVERY`], on its own connection, until it is dropped.
#[derive(Debug)]
pub(super) struct Heartbeat {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts the thread for the store at `path`.
    pub(super) fn start(path: &Path, token: &str) -> Result<Self> {
        let conn = Connection::open(path)?;
        schema::configure(&conn)?;
        // A beat that waits long for a busy store is late anyway; the next one tries again.
        conn.busy_timeout(Duration::from_secs(2))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let token = token.to_owned();
        let thread = std::thread::Builder::new()
            .name("medeval-store-heartbeat".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(HEARTBEAT_EVERY) {
                    // A failed beat (a busy or full store) is retried at the next one; a holder
                    // that misses six in a row may lose the run, and its sink then says so.
                    let _ = conn.execute(
                        "UPDATE run_locks SET heartbeat_ms = ?2 WHERE holder = ?1",
                        params![token, ms(lock::now_unix_ms())],
                    );
                }
            })
            .map_err(|e| Error::Thread(e.to_string()))?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Milliseconds as SQLite stores integers.
fn ms(unix_ms: u64) -> i64 {
    i64::try_from(unix_ms).unwrap_or(i64::MAX)
}
