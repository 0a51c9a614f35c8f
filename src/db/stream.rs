//! Work on the connection thread whose answer the caller collects later: a
//! `COPY … FROM STDIN` fed chunk by chunk while Lua produces the next chunk
//! ([`Db::copy_rows`]), and a query sent ahead whose rows are read on the
//! next call ([`Pending`], [`Db::query_ahead`]).
//!
//! Both are pipelining, so both follow the rule of statements sent ahead:
//! with pipelining off (`VECTRA_DB_PIPELINE=off`), while statements are
//! printed (`-v`, `--dry-run`) and inside a Lua frame that catches errors,
//! every `COPY` window is its own `COPY`, confirmed before the call returns,
//! and a cursor's `FETCH` is sent only when its rows are needed.
//!
//! Memory stays bounded: at most [`COPY_QUEUE`] chunks wait for the
//! connection thread; a producer faster than the server waits for it (and
//! that wait counts as time spent waiting for the server).

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::{Db, DbError, Job, Row, Session};
use crate::sql::Sql;

/// Chunks of `COPY` data queued for the connection thread at most.
const COPY_QUEUE: usize = 4;

/// The answer to work queued on the connection thread; collected with
/// [`Db::collect`].
pub struct Pending<T>(Receiver<Result<T, DbError>>);

/// A message to the `COPY` running on the connection thread.
enum Piece {
    Data(Vec<u8>),
    /// The last chunk was sent: finish the `COPY`. A queue closed without it
    /// aborts the `COPY` (nothing is loaded).
    End,
}

/// A `COPY` still taking rows.
pub(super) struct OpenCopy {
    statement: String,
    pieces: SyncSender<Piece>,
    done: Receiver<Result<u64, DbError>>,
    /// The Lua `file:line` whose rows these are, for an error that surfaces later.
    origin: Option<String>,
}

/// The error for work skipped after Ctrl-C / SIGTERM.
fn interrupted(signal: i32) -> DbError {
    DbError::decode(
        format!("interrupted by {}", crate::interrupt::name(signal)),
        "",
    )
}

impl Session {
    /// Runs `statement` (`COPY t (a, b) FROM STDIN`), writing every chunk that
    /// arrives until [`Piece::End`]; returns the number of rows loaded.
    fn copy_from(&mut self, statement: &str, pieces: Receiver<Piece>) -> Result<u64, DbError> {
        self.note(statement, &[]);
        let mut writer = self
            .client
            .copy_in(statement)
            .map_err(|e| DbError::from_pg(e, statement))?;
        let mut written = Ok(());
        loop {
            match pieces.recv() {
                Ok(Piece::Data(data)) => {
                    if let Err(e) = writer.send(data) {
                        written = Err(e);
                        break;
                    }
                }
                Ok(Piece::End) => break,
                // Dropping the writer unfinished sends `CopyFail`: nothing is loaded.
                Err(_) => {
                    return Err(DbError::decode("COPY abandoned".into(), statement));
                }
            }
        }
        // A sender waiting on a full queue wakes up with an error.
        drop(pieces);
        // The server's own error (a constraint, a bad value) arrives with
        // `finish`; a failed write alone would only say the stream broke.
        let finished = writer
            .finish()
            .map_err(|e| DbError::from_pg(e, statement))?;
        written.map_err(|e| DbError::decode(format!("COPY failed: {e}"), statement))?;
        Ok(finished)
    }

    /// Runs one whole `COPY` of `data` (rows already in `COPY`'s text format).
    fn copy_in(&mut self, statement: &str, data: Vec<u8>) -> Result<u64, DbError> {
        let (pieces, inbox) = sync_channel(2);
        let _ = pieces.send(Piece::Data(data));
        let _ = pieces.send(Piece::End);
        self.copy_from(statement, inbox)
    }
}

impl Db {
    /// Queues `job` for the connection thread, after the statement held back
    /// (so everything runs in call order).
    fn queue(&mut self, job: Job) -> Result<(), DbError> {
        self.send_held()?;
        self.send_job(job)
    }

    /// Sends rows already in `COPY`'s text format through `statement`
    /// (`COPY t (a, b) FROM STDIN`). When work may be sent ahead
    /// ([`Db::copies_ahead`]), this does not wait for the server: calls with
    /// the same statement feed one `COPY`, finished by [`Db::end_copy`], by a
    /// call with another statement, or by any other call. Otherwise each call
    /// is a `COPY` of its own, confirmed before it returns. `origin` is the
    /// Lua `file:line` to blame for the `COPY`'s error.
    pub fn copy_rows(
        &mut self,
        statement: &str,
        data: Vec<u8>,
        origin: Option<String>,
    ) -> Result<(), DbError> {
        if !self.copies_ahead() {
            let statement = statement.to_string();
            return self
                .call(true, move |s| s.copy_in(&statement, data))
                .map(|_| ())
                .map_err(|mut e| {
                    e.origin = e.origin.or(origin);
                    e
                });
        }
        if self.copy.as_ref().is_some_and(|c| c.statement != statement) {
            self.end_copy()?;
        }
        if self.copy.is_none() {
            let (pieces, inbox) = sync_channel(COPY_QUEUE);
            let (reply, done) = sync_channel(1);
            let text = statement.to_string();
            let job: Job = Box::new(move |session: &mut Session| {
                let result = match (session.deferred_error.take(), crate::interrupt::received()) {
                    (Some(e), _) => Err(e),
                    (None, Some(signal)) => Err(interrupted(signal)),
                    (None, None) => session.copy_from(&text, inbox),
                };
                let _ = reply.send(result);
            });
            self.queue(job)?;
            self.copy = Some(OpenCopy {
                statement: statement.to_string(),
                pieces,
                done,
                origin,
            });
        }
        let started = std::time::Instant::now();
        let accepted = self
            .copy
            .as_ref()
            .is_some_and(|c| c.pieces.send(Piece::Data(data)).is_ok());
        self.waited += started.elapsed();
        if accepted {
            return Ok(());
        }
        // The `COPY` stopped taking rows: its error says why.
        let statement = statement.to_string();
        self.end_copy()?;
        Err(DbError::decode(
            "COPY stopped before all rows were sent".into(),
            &statement,
        ))
    }

    /// True when a `COPY` may take its windows without waiting for each: with
    /// pipelining on, while no statement is printed and outside Lua frames
    /// that catch errors. Unlike [`Db::sends_ahead`] this holds inside a
    /// savepoint too: `batchInsert` opens its own and finishes the `COPY`
    /// (or abandons it) before it releases or rolls back, so a `COPY` error
    /// is still raised by the `batchInsert` call that sent its rows.
    fn copies_ahead(&self) -> bool {
        self.depth > 0 && !self.logging && self.pipelining && self.catching == 0
    }

    /// Sends a query ahead (a cursor's next `FETCH`) without waiting; its rows
    /// are collected with [`Db::collect`]. If it fails, the next call
    /// reports the error too, blaming `origin`, so a statement queued behind
    /// it never reports the aborted transaction in its place. Only when
    /// [`Db::sends_ahead`]; the caller runs the query when it needs the rows
    /// otherwise.
    pub fn query_ahead(
        &mut self,
        sql: &Sql,
        origin: Option<String>,
    ) -> Result<Pending<Vec<Row>>, DbError> {
        self.end_copy()?;
        let sql = sql.clone();
        let (reply, answer) = sync_channel(1);
        let job: Job = Box::new(move |session: &mut Session| {
            let result = match (session.deferred_error.take(), crate::interrupt::received()) {
                (Some(e), _) => Err(e),
                (None, Some(signal)) => Err(interrupted(signal)),
                (None, None) => session.query(&sql).map_err(|mut e| {
                    e.origin = origin;
                    session.deferred_error = Some(e.clone());
                    e
                }),
            };
            let _ = reply.send(result);
        });
        self.queue(job)?;
        Ok(Pending(answer))
    }

    /// Waits for the answer to work sent ahead.
    pub fn collect<T>(&mut self, pending: Pending<T>) -> Result<T, DbError> {
        let started = std::time::Instant::now();
        let answer = pending.0.recv();
        self.waited += started.elapsed();
        answer.map_err(|_| Db::stopped())?
    }

    /// Finishes the open `COPY`, if any, and waits for the server to confirm it.
    pub fn end_copy(&mut self) -> Result<(), DbError> {
        let Some(copy) = self.copy.take() else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        let _ = copy.pieces.send(Piece::End);
        let answer = copy.done.recv();
        self.waited += started.elapsed();
        match answer {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(mut e)) => {
                e.origin = e.origin.or(copy.origin);
                Err(e)
            }
            Err(_) => Err(Db::stopped()),
        }
    }

    /// Abandons the open `COPY`, if any: none of its rows are loaded.
    pub(super) fn abort_copy(&mut self) {
        if let Some(copy) = self.copy.take() {
            drop(copy.pieces);
            let _ = copy.done.recv();
        }
    }
}
