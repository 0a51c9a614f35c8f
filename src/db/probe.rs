//! The hook `migrate:plan` attaches to the session: called after each
//! statement that succeeded, with its own way to read the catalog.

use tokio_postgres::SimpleQueryMessage;

use super::client::Client;

use super::{Db, DbError, Session};

/// Looks at the session after each statement that succeeded (`migrate:plan`):
/// the locks it now holds, the relations it rewrote.
pub trait StatementProbe: Send {
    /// Called once when the probe is attached, before any statement it sees.
    fn start(&mut self, catalog: &mut Catalog<'_>);
    /// `sql` just succeeded; `origin` is the Lua `file:line` that sent it.
    fn after(&mut self, catalog: &mut Catalog<'_>, sql: &str, origin: Option<&str>);
}

/// The probe's own reads on the session: neither logged nor probed.
pub struct Catalog<'a>(pub(super) &'a mut Client);

impl Catalog<'_> {
    /// Runs a simple (text protocol, no values) query; its rows as text.
    pub fn rows(&mut self, text: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        text_rows(self.0, text)
    }
}

/// The rows of a simple query, every value as text.
pub(super) fn text_rows(
    client: &mut Client,
    text: &str,
) -> Result<Vec<Vec<Option<String>>>, DbError> {
    let messages = client
        .simple_query(text)
        .map_err(|e| DbError::from_pg(e, text))?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

impl Session {
    /// Shows the statement that just ran to the probe, if one listens and
    /// the statement succeeded (a failed one aborted the transaction).
    pub(super) fn after_statement(&mut self, succeeded: bool, origin: Option<&str>) {
        let text = self.probed.take().filter(|_| succeeded);
        if let (Some(probe), Some(text)) = (self.probe.as_mut(), text) {
            probe.after(&mut Catalog(&mut self.client), &text, origin);
        }
    }
}

impl Db {
    /// Attaches a probe that sees every statement after it succeeds
    /// (`migrate:plan`). It turns pipelining off for good: the probe must
    /// look right after each statement, on this thread.
    pub fn set_probe(&mut self, probe: Option<Box<dyn StatementProbe>>) -> Result<(), DbError> {
        self.probing = probe.is_some();
        if self.probing {
            self.pipelining = false;
        }
        self.call(true, move |s| {
            s.probe = probe.map(|mut p| {
                p.start(&mut Catalog(&mut s.client));
                p
            });
            s.probed = None;
            Ok(())
        })
    }

    /// True while a probe listens: the Lua bridge then names each statement's line.
    pub fn probing(&self) -> bool {
        self.probing
    }

    /// The Lua `file:line` of the next statement, for the probe.
    pub fn mark_origin(&mut self, origin: Option<String>) {
        self.origin = origin;
    }
}
