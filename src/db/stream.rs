//! Work on the connection thread whose answer the caller collects later: a
//! `COPY … FROM STDIN` fed chunk by chunk while Lua produces the next chunk
//! ([`Db::copy_rows`]), and a statement sent ahead whose rows are read on the
//! next call ([`Pending`]).
//!
//! Memory stays bounded: at most [`COPY_QUEUE`] chunks wait for the
//! connection thread; a producer faster than the server waits for it.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::{Db, DbError, Job, Row, Session};
use crate::sql::Sql;

/// Chunks of `COPY` data queued for the connection thread at most.
const COPY_QUEUE: usize = 4;

/// The answer to work queued on the connection thread.
pub struct Pending<T>(pub(super) Receiver<Result<T, DbError>>);

impl<T> Pending<T> {
    /// Waits for the answer.
    pub fn wait(self) -> Result<T, DbError> {
        self.0.recv().map_err(|_| Db::stopped())?
    }
}

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

impl Session {
    /// Runs `statement` (`COPY t (a, b) FROM STDIN`), writing every chunk that
    /// arrives until [`Piece::End`]; returns the number of rows loaded.
    fn copy_from(&mut self, statement: &str, pieces: Receiver<Piece>) -> Result<u64, DbError> {
        use std::io::Write;
        self.note(statement, &[]);
        let mut writer = self
            .client
            .copy_in(statement)
            .map_err(|e| DbError::from_pg(e, statement))?;
        let mut written = Ok(());
        loop {
            match pieces.recv() {
                Ok(Piece::Data(data)) => {
                    if let Err(e) = writer.write_all(&data) {
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
}

impl Db {
    /// Sends rows already in `COPY`'s text format through `statement`
    /// (`COPY t (a, b) FROM STDIN`) without waiting for the server. Calls with
    /// the same statement feed one `COPY`; it is finished by [`Db::end_copy`],
    /// by a call with another statement, or by any other call. `origin` is the
    /// Lua `file:line` to blame when its error surfaces later.
    pub fn copy_rows(
        &mut self,
        statement: &str,
        data: Vec<u8>,
        origin: Option<String>,
    ) -> Result<(), DbError> {
        if self.copy.as_ref().is_some_and(|c| c.statement != statement) {
            self.end_copy()?;
        }
        if self.copy.is_none() {
            let (pieces, inbox) = sync_channel(COPY_QUEUE);
            let (reply, done) = sync_channel(1);
            let text = statement.to_string();
            let job: Job = Box::new(move |session: &mut Session| {
                let result = match session.deferred_error.take() {
                    Some(e) => Err(e),
                    None => session.copy_from(&text, inbox),
                };
                let _ = reply.send(result);
            });
            self.send(job)?;
            self.copy = Some(OpenCopy {
                statement: statement.to_string(),
                pieces,
                done,
                origin,
            });
        }
        let accepted = self
            .copy
            .as_ref()
            .is_some_and(|c| c.pieces.send(Piece::Data(data)).is_ok());
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

    /// Sends a query ahead (a cursor's next `FETCH`) without waiting; its rows
    /// are collected with [`Pending::wait`]. If it fails, the next call
    /// reports the error too, blaming `origin`, so a statement queued behind
    /// it never reports the aborted transaction in its place.
    pub fn query_ahead(
        &mut self,
        sql: &Sql,
        origin: Option<String>,
    ) -> Result<Pending<Vec<Row>>, DbError> {
        let sql = sql.clone();
        self.submit(true, move |session| match session.query(&sql) {
            Ok(rows) => Ok(rows),
            Err(mut e) => {
                e.origin = origin;
                session.deferred_error = Some(e.clone());
                Err(e)
            }
        })
    }

    /// Finishes the open `COPY`, if any, and waits for the server to confirm it.
    pub fn end_copy(&mut self) -> Result<(), DbError> {
        let Some(copy) = self.copy.take() else {
            return Ok(());
        };
        let _ = copy.pieces.send(Piece::End);
        match copy.done.recv() {
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
