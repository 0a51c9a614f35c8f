//! A blocking handle on one `tokio-postgres` connection: what the `postgres`
//! crate's `Client` gives (each call drives the connection on a runtime of
//! its own until its answer is in), reduced to the calls a run makes, plus
//! the one it cannot make: several statements sent in one write, their
//! answers read after ([`Client::batch_execute_each`]).

use std::future::{poll_fn, Future};
use std::path::Path;
use std::pin::{pin, Pin};
use std::task::Poll;

use bytes::Bytes;
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::runtime::Runtime;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{
    AsyncMessage, CopyInSink, Error, NoTls, Row, SimpleQueryMessage, Socket, Statement,
};

use super::socket::LocalSocket;

/// The connection's messages (answers are routed to their requests inside
/// `tokio-postgres`; what comes out here are notices and notifications).
type Messages = Pin<Box<dyn Stream<Item = Result<AsyncMessage, Error>> + Send>>;

const TAKEN_ONLY_BY_DROP: &str = "the client is taken only when dropped";

/// Why [`Client::connect`] failed.
pub enum ConnectFailure {
    /// No runtime for the connection's I/O (the OS refused a resource).
    Runtime(std::io::Error),
    Postgres(Error),
}

/// Runs the connection while a call waits for its answer.
struct Driver {
    runtime: Runtime,
    messages: Messages,
    /// The connection ended (closed by the server, or broken).
    ended: bool,
    /// Why it broke, for the first call that fails for that reason.
    broke: Option<Error>,
}

impl Driver {
    /// Drives the connection and `future` until `future` is done.
    ///
    /// When the connection ends (the server ended the session, the socket
    /// broke), it is dropped, so every request still waiting ends too: with
    /// what the server sent before it went (`terminating connection due to
    /// administrator command` for the statement that was running), else
    /// "connection closed". A call that fails for want of the connection
    /// gets the connection's own error instead, once.
    fn block_on<T>(&mut self, future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        let mut future = pin!(future);
        let (messages, ended, broke) = (&mut self.messages, &mut self.ended, &mut self.broke);
        self.runtime.block_on(poll_fn(|cx| {
            while !*ended {
                match messages.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(AsyncMessage::Notice(notice)))) => {
                        // What the `postgres` crate does with notices by default.
                        log::info!("{}: {}", notice.severity(), notice.message());
                    }
                    Poll::Ready(Some(Ok(_))) => {}
                    Poll::Ready(Some(Err(e))) => {
                        *broke = Some(e);
                        *ended = true;
                    }
                    Poll::Ready(None) => *ended = true,
                    Poll::Pending => break,
                }
                if *ended {
                    *messages = Box::pin(futures_util::stream::empty());
                }
            }
            match future.as_mut().poll(cx) {
                Poll::Ready(Err(e)) if e.as_db_error().is_none() => {
                    Poll::Ready(Err(broke.take().unwrap_or(e)))
                }
                Poll::Pending => {
                    // No answer yet: a step of the thread's idle work, then
                    // look again (the runtime checks the socket in between).
                    if super::idle::step() {
                        cx.waker().wake_by_ref();
                    }
                    Poll::Pending
                }
                done => done,
            }
        }))
    }
}

pub struct Client {
    /// Taken only when dropped (see `Drop`).
    client: Option<tokio_postgres::Client>,
    driver: Driver,
}

impl Client {
    /// Connects with `config` (its `connect_timeout` bounds the TCP connect).
    pub fn connect<T>(config: &tokio_postgres::Config, tls: T) -> Result<Client, ConnectFailure>
    where
        T: MakeTlsConnect<Socket> + 'static + Send,
        T::TlsConnect: Send,
        T::Stream: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let runtime = runtime().map_err(ConnectFailure::Runtime)?;
        let (client, connection) = runtime
            .block_on(config.connect(tls))
            .map_err(ConnectFailure::Postgres)?;
        Ok(Client::new(runtime, client, connection))
    }

    /// Connects over the local Unix socket at `path` with a stream woken only
    /// when the server has written (see [`LocalSocket`]). `None` when the
    /// socket itself cannot be connected: [`Client::connect`] then gives the
    /// driver's own error for it.
    pub fn connect_socket(
        config: &tokio_postgres::Config,
        path: &Path,
    ) -> Option<Result<Client, ConnectFailure>> {
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(e) => return Some(Err(ConnectFailure::Runtime(e))),
        };
        let socket = {
            let _inside = runtime.enter();
            LocalSocket::connect(path).ok()?
        };
        let connected = runtime.block_on(config.connect_raw(socket, NoTls));
        Some(match connected {
            Ok((client, connection)) => Ok(Client::new(runtime, client, connection)),
            Err(e) => Err(ConnectFailure::Postgres(e)),
        })
    }

    fn new<S, T>(
        runtime: Runtime,
        client: tokio_postgres::Client,
        mut connection: tokio_postgres::Connection<S, T>,
    ) -> Client
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let messages: Messages = Box::pin(futures_util::stream::poll_fn(move |cx| {
            connection.poll_message(cx)
        }));
        Client {
            client: Some(client),
            driver: Driver {
                runtime,
                messages,
                ended: false,
                broke: None,
            },
        }
    }

    /// The client and the driver of its connection, borrowed together.
    fn parts(&mut self) -> (&tokio_postgres::Client, &mut Driver) {
        let client = self.client.as_ref().expect(TAKEN_ONLY_BY_DROP);
        (client, &mut self.driver)
    }

    pub fn cancel_token(&self) -> tokio_postgres::CancelToken {
        self.client
            .as_ref()
            .expect(TAKEN_ONLY_BY_DROP)
            .cancel_token()
    }

    /// Runs `text` (one statement or several joined with `;`) through the
    /// simple-query protocol, ignoring what it returns.
    pub fn batch_execute(&mut self, text: &str) -> Result<(), Error> {
        let (client, driver) = self.parts();
        driver.block_on(client.batch_execute(text))
    }

    /// Sends every text of `texts` (each as [`Client::batch_execute`] would,
    /// its own simple query) in one write, then reads their answers: one
    /// round trip for all. The server still runs them one after the other.
    /// Returns the first that failed, by its index in `texts`, and its error
    /// (a session the server ended fails the statement that was running, and
    /// those after it with "connection closed": every one gets an answer).
    pub fn batch_execute_each(&mut self, texts: &[&str]) -> Result<(), (usize, Error)> {
        let (client, driver) = self.parts();
        let mut sent: Vec<_> = texts
            .iter()
            .map(|text| Box::pin(client.batch_execute(text)))
            .collect();
        let mut results: Vec<Option<Result<(), Error>>> = texts.iter().map(|_| None).collect();
        // Never an error itself: each statement's is in its result.
        let _ = driver.block_on(poll_fn(|cx| {
            // Polled in order: the first poll of each queues its request, so
            // all of them go out before any answer is awaited.
            let mut all_in = true;
            for (future, result) in sent.iter_mut().zip(results.iter_mut()) {
                if result.is_none() {
                    match future.as_mut().poll(cx) {
                        Poll::Ready(done) => *result = Some(done),
                        Poll::Pending => all_in = false,
                    }
                }
            }
            if all_in {
                Poll::Ready(Ok::<(), Error>(()))
            } else {
                Poll::Pending
            }
        }));
        match results
            .into_iter()
            .enumerate()
            .find_map(|(i, result)| Some((i, result?.err()?)))
        {
            Some(failed) => Err(failed),
            None => Ok(()),
        }
    }

    /// Runs a simple query and returns its messages (rows as text).
    pub fn simple_query(&mut self, text: &str) -> Result<Vec<SimpleQueryMessage>, Error> {
        let (client, driver) = self.parts();
        driver.block_on(client.simple_query(text))
    }

    pub fn prepare(&mut self, text: &str) -> Result<Statement, Error> {
        let (client, driver) = self.parts();
        driver.block_on(client.prepare(text))
    }

    /// Executes a prepared statement; the number of rows it affected.
    pub fn execute(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let (client, driver) = self.parts();
        driver.block_on(client.execute(statement, params))
    }

    /// Runs a prepared statement: its rows, and the row count of its command tag.
    pub fn query_raw(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<(Vec<Row>, Option<u64>), Error> {
        let (client, driver) = self.parts();
        driver.block_on(async move {
            let rows = client.query_raw(statement, params.iter().copied()).await?;
            collect(rows).await
        })
    }

    /// Runs `text` with parameters of the given types in one round trip
    /// (parse, bind and execute sent together, no separate prepare).
    pub fn query_typed_raw(
        &mut self,
        text: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<(Vec<Row>, Option<u64>), Error> {
        let (client, driver) = self.parts();
        driver.block_on(async move {
            let rows = client
                .query_typed_raw(text, params.iter().map(|(p, t)| (*p, t.clone())))
                .await?;
            collect(rows).await
        })
    }

    /// Starts `COPY … FROM STDIN`; the rows go through the returned [`CopyIn`].
    pub fn copy_in(&mut self, statement: &str) -> Result<CopyIn<'_>, Error> {
        let (client, driver) = self.parts();
        let sink = driver.block_on(client.copy_in(statement))?;
        Ok(CopyIn {
            driver: &mut self.driver,
            sink: Box::pin(sink),
        })
    }
}

impl Drop for Client {
    /// Ends the session as the `postgres` crate does: dropping the client
    /// closes its requests, and the connection then sends `Terminate` and
    /// closes the socket, so the server sees a goodbye rather than a broken
    /// connection. Bounded: a server that stopped reading cannot hold up
    /// the exit.
    fn drop(&mut self) {
        drop(self.client.take());
        let driver = &mut self.driver;
        if driver.ended {
            return;
        }
        let messages = &mut driver.messages;
        let closed = poll_fn(|cx| loop {
            match messages.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(_) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        });
        // The timer is made inside the runtime, whose clock it needs.
        driver.runtime.block_on(async {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), closed).await;
        });
    }
}

async fn collect(rows: tokio_postgres::RowStream) -> Result<(Vec<Row>, Option<u64>), Error> {
    let mut rows = pin!(rows);
    let mut all = Vec::new();
    while let Some(row) = rows.next().await {
        all.push(row?);
    }
    Ok((all, rows.rows_affected()))
}

/// A `COPY … FROM STDIN` in progress. Dropped before [`CopyIn::finish`], it
/// sends `CopyFail` (with the next call): nothing is loaded.
pub struct CopyIn<'a> {
    driver: &'a mut Driver,
    sink: Pin<Box<CopyInSink<Bytes>>>,
}

impl CopyIn<'_> {
    /// Sends rows already in `COPY`'s text format.
    pub fn send(&mut self, data: Vec<u8>) -> Result<(), Error> {
        let sink = &mut self.sink;
        self.driver.block_on(sink.send(Bytes::from(data)))
    }

    /// Ends the `COPY`; the number of rows loaded, or the server's error.
    pub fn finish(mut self) -> Result<u64, Error> {
        let sink = &mut self.sink;
        self.driver.block_on(sink.as_mut().finish())
    }
}

/// The runtime a connection's I/O runs on: the calling thread's own.
pub(super) fn runtime() -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Cancels the statement the connection of `token` is running, over a
/// connection of its own (libpq's `PQcancel`); from any thread.
pub fn cancel<T>(token: &tokio_postgres::CancelToken, tls: T)
where
    T: MakeTlsConnect<Socket>,
{
    if let Ok(runtime) = runtime() {
        // Nothing to do about a failure: the statement then runs to its end.
        let _ = runtime.block_on(token.cancel_query(tls));
    }
}

/// [`cancel`] for a connection made by [`Client::connect_socket`] (whose
/// token does not know the socket it came through).
pub fn cancel_socket(token: &tokio_postgres::CancelToken, path: &Path) {
    if let Ok(runtime) = runtime() {
        runtime.block_on(async {
            // Nothing to do about a failure: the statement then runs to its end.
            if let Ok(stream) = tokio::net::UnixStream::connect(path).await {
                let _ = token.cancel_query_raw(stream, NoTls).await;
            }
        });
    }
}
