//! The connection's stream over a local Unix socket, woken only when the
//! server has written.
//!
//! `tokio`'s own `UnixStream` is registered for reading and writing at once,
//! and a Unix socket reports "writable" again each time the server reads what
//! was sent: every statement then wakes the client twice, once when the
//! server reads it and once when the answer is in (`psql` is woken once). On a
//! virtual machine each wake-up costs tens of microseconds, which over a
//! thousand migrations is a few percent of the run. This stream is
//! registered for reading only; a write that finds the socket full (a large
//! `COPY`) waits on a second registration of the same socket, made for that
//! wait and dropped after it.
//!
//! After sending a request it also polls for the answer for a short while
//! before it sleeps ([`Polling`]): on a virtual machine that halts an idle
//! CPU at once, going to sleep and being woken costs the client and the
//! server tens of microseconds a statement, more than a short statement
//! takes to run. Nothing but timing depends on it: an answer read while
//! polling is the one a sleeping read would get.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// Where the server listens when `config` names one Unix-socket directory
/// (and at most one port): `<dir>/.s.PGSQL.<port>`, as libpq and
/// `tokio-postgres` spell it. `None` for anything else (TCP, several hosts).
pub fn socket_path(config: &tokio_postgres::Config) -> Option<PathBuf> {
    let [tokio_postgres::config::Host::Unix(dir)] = config.get_hosts() else {
        return None;
    };
    let port = match config.get_ports() {
        [] => 5432,
        [port] => *port,
        _ => return None,
    };
    Some(dir.join(format!(".s.PGSQL.{port}")))
}

/// A connected Unix socket, registered with the current runtime for reading only.
pub struct LocalSocket {
    reads: AsyncFd<UnixStream>,
    /// The same socket registered for writing, only while a write waits for room.
    writes: Option<AsyncFd<UnixStream>>,
    /// How many writes found the socket full and waited.
    waited_for_room: u64,
    /// Polling for the answer to the last request.
    polling: Polling,
}

thread_local! {
    /// Set by [`never_poll_on_this_thread`].
    static NO_POLLING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Answers read on this thread are waited for asleep: for the threads that
/// work while the run's own thread does (the connection thread while Lua
/// runs, the one that connects while the run prepares its files), whose
/// polling would take a CPU from that work or from the server.
pub fn never_poll_on_this_thread() {
    NO_POLLING.with(|no| no.set(true));
}

/// Polls for an answer a little before sleeping, for a window that follows
/// how long answers take (as Linux's `haltpoll` governor sizes how long an
/// idle CPU polls): twice the last answer's time, at most [`Polling::MAX`];
/// an answer that took longer than that shrinks the window to
/// [`Polling::MIN`], so long statements (a `CREATE INDEX`) cost no more than
/// that in polling.
struct Polling {
    /// Off on a machine with one CPU (the server would wait for the
    /// client's polling to end) and with `VECTRA_DB_POLL=off`.
    enabled: bool,
    window: Duration,
    /// When the last request went out, until its first answer is read.
    sent: Option<Instant>,
    /// Reads made while polling that found nothing yet.
    polled: u64,
}

impl Polling {
    const MAX: Duration = Duration::from_millis(1);
    const MIN: Duration = Duration::from_micros(50);

    fn new() -> Polling {
        // The same for the whole process (and finding the CPUs reads cgroup files).
        static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let enabled = *ENABLED.get_or_init(|| {
            let off = std::env::var_os("VECTRA_DB_POLL").is_some_and(|v| v == "off");
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            !off && cpus >= 2
        });
        Polling {
            enabled,
            window: Polling::MAX,
            sent: None,
            polled: 0,
        }
    }

    /// A request went out in `data` (anything but `COPY` data, which no
    /// answer follows, and `Terminate`).
    fn sent(&mut self, data: &[u8]) {
        if self.enabled
            && !matches!(data.first(), Some(b'd' | b'X'))
            && !NO_POLLING.with(std::cell::Cell::get)
        {
            self.sent = Some(Instant::now());
        }
    }

    /// Whether a read that found nothing should look again at once.
    fn keep_polling(&self) -> bool {
        self.sent.is_some_and(|sent| sent.elapsed() < self.window)
    }

    /// An answer arrived: size the next window by how long it took.
    fn answered(&mut self) {
        if let Some(sent) = self.sent.take() {
            self.window = Polling::window_after(sent.elapsed());
        }
    }

    /// The window after an answer that took `took`.
    fn window_after(took: Duration) -> Duration {
        if took > Polling::MAX {
            Polling::MIN
        } else {
            (took * 2).clamp(Polling::MIN, Polling::MAX)
        }
    }
}

impl LocalSocket {
    /// Connects to `path`; call it inside the runtime that will drive the stream.
    pub fn connect(path: &Path) -> io::Result<LocalSocket> {
        LocalSocket::new(UnixStream::connect(path)?)
    }

    fn new(stream: UnixStream) -> io::Result<LocalSocket> {
        stream.set_nonblocking(true)?;
        Ok(LocalSocket {
            reads: register(stream, Interest::READABLE)?,
            writes: None,
            waited_for_room: 0,
            polling: Polling::new(),
        })
    }

    /// After a write: a request that went out starts the polling for its
    /// answer, which needs the reader polled again at once (it found nothing
    /// before the write and would otherwise sleep).
    fn wrote(
        &mut self,
        data: &[u8],
        written: io::Result<usize>,
        cx: &Context<'_>,
    ) -> io::Result<usize> {
        if let Ok(n) = written {
            self.polling.sent(&data[..n]);
            if self.polling.keep_polling() {
                cx.waker().wake_by_ref();
            }
        }
        written
    }

    /// The registration a write that found the socket full waits on.
    fn writes(&mut self) -> io::Result<&AsyncFd<UnixStream>> {
        let writes = match self.writes.take() {
            Some(writes) => writes,
            None => {
                self.waited_for_room += 1;
                register(self.reads.get_ref().try_clone()?, Interest::WRITABLE)?
            }
        };
        Ok(self.writes.insert(writes))
    }
}

/// Registers `stream` with the current runtime for `interest` only.
fn register(stream: UnixStream, interest: Interest) -> io::Result<AsyncFd<UnixStream>> {
    // SAFETY: `register_with_interest` needs the descriptor to stay open and
    // the same for the `AsyncFd`'s life. `stream` owns its descriptor (closed
    // only when the `AsyncFd` drops it), and it is never replaced: this module
    // reaches it through `get_ref` alone.
    unsafe { AsyncFd::register_with_interest(stream, interest) }.map_err(io::Error::from)
}

impl AsyncRead for LocalSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.polling.keep_polling() {
            match self.reads.get_ref().read(buf.initialize_unfilled()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.polling.polled += 1;
                    // Polled again at once: the runtime looks at its timers
                    // and sockets in between, and the caller's idle work runs.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                read => {
                    self.polling.answered();
                    return Poll::Ready(read.map(|n| buf.advance(n)));
                }
            }
        }
        loop {
            let mut ready = ready!(self.reads.poll_read_ready(cx))?;
            let read = ready.try_io(|socket| socket.get_ref().read(buf.initialize_unfilled()));
            if let Ok(read) = read {
                drop(ready);
                self.polling.answered();
                return Poll::Ready(read.map(|n| buf.advance(n)));
            }
        }
    }
}

impl AsyncWrite for LocalSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.reads.get_ref().write(data) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            written => {
                // Room again: no more wake-ups for writing.
                this.writes = None;
                return Poll::Ready(this.wrote(data, written, cx));
            }
        }
        loop {
            let written = {
                let writes = this.writes()?;
                let mut ready = ready!(writes.poll_write_ready(cx))?;
                ready.try_io(|socket| socket.get_ref().write(data))
            };
            if let Ok(written) = written {
                this.writes = None;
                return Poll::Ready(this.wrote(data, written, cx));
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.reads.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn runtime() -> tokio::runtime::Runtime {
        super::super::client::runtime().expect("a runtime")
    }

    /// More than a socket buffer holds, written while the other end reads
    /// slowly: the writes that find the socket full wait and resume, and
    /// every byte arrives in order.
    #[test]
    fn a_write_larger_than_the_socket_waits_for_room_and_loses_nothing() {
        let (ours, theirs) = UnixStream::pair().expect("a socket pair");
        let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let reader = std::thread::spawn(move || {
            let mut theirs = theirs;
            let mut got = Vec::new();
            let mut chunk = vec![0u8; 4096];
            loop {
                std::thread::sleep(std::time::Duration::from_micros(50));
                match theirs.read(&mut chunk) {
                    Ok(0) => return got,
                    Ok(n) => got.extend_from_slice(&chunk[..n]),
                    Err(e) => panic!("read failed: {e}"),
                }
            }
        });
        let runtime = runtime();
        runtime.block_on(async {
            let mut socket = LocalSocket::new(ours).expect("registered");
            socket.write_all(&data).await.expect("written");
            assert!(
                socket.waited_for_room > 0,
                "the socket never filled up: the test proves nothing"
            );
            assert!(
                socket.writes.is_none(),
                "the write registration outlived the wait"
            );
            socket.shutdown().await.expect("shut down");
        });
        let got = reader.join().expect("the reader thread");
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the bytes arrived changed");
    }

    /// Reads wait for the other end to write, and see its end of stream.
    #[test]
    fn reads_wait_for_data_and_see_the_end() {
        let (ours, theirs) = UnixStream::pair().expect("a socket pair");
        let writer = std::thread::spawn(move || {
            let mut theirs = theirs;
            for part in [&b"hello "[..], b"world"] {
                std::thread::sleep(std::time::Duration::from_millis(20));
                theirs.write_all(part).expect("written");
            }
        });
        let runtime = runtime();
        let got = runtime.block_on(async {
            let mut socket = LocalSocket::new(ours).expect("registered");
            let mut got = Vec::new();
            socket.read_to_end(&mut got).await.expect("read");
            got
        });
        writer.join().expect("the writer thread");
        assert_eq!(got, b"hello world");
    }

    /// The server's side of a socket pair: answers each request after `delay`.
    fn answering(theirs: UnixStream, delay: std::time::Duration) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut theirs = theirs;
            let mut request = [0u8; 64];
            while let Ok(n) = theirs.read(&mut request) {
                if n == 0 {
                    return;
                }
                std::thread::sleep(delay);
                if theirs.write_all(&request[..n]).is_err() {
                    return;
                }
            }
        })
    }

    /// An answer read while the read polls is the one a sleeping read gets,
    /// and an answer slower than [`Polling::MAX`] shrinks the window, so a
    /// long statement (a `CREATE INDEX`) costs no more than that in polling.
    /// (How often polling catches an answer is timing, measured by
    /// `scripts/bench`, never asserted in a test.)
    #[test]
    fn polling_reads_the_same_answers_and_a_slow_answer_shrinks_its_window() {
        let runtime = runtime();
        for delay_us in [0, 300, 50_000] {
            let (ours, theirs) = UnixStream::pair().expect("a socket pair");
            let server = answering(theirs, std::time::Duration::from_micros(delay_us));
            let mut socket = {
                let _inside = runtime.enter();
                LocalSocket::new(ours).expect("registered")
            };
            socket.polling.enabled = true;
            runtime.block_on(async {
                for i in 0..4u8 {
                    let request = [b'Q', i, i, i];
                    socket.write_all(&request).await.expect("sent");
                    let mut answer = [0u8; 4];
                    socket.read_exact(&mut answer).await.expect("answered");
                    assert_eq!(answer, request, "answer {i} after {delay_us} us");
                }
            });
            if delay_us == 50_000 {
                assert!(
                    socket.polling.polled > 0,
                    "no read polled: the test proves nothing"
                );
                assert_eq!(socket.polling.window, Polling::MIN);
            }
            drop(socket);
            server.join().expect("the server thread");
        }
    }

    #[test]
    fn polling_windows_and_what_starts_them() {
        let us = std::time::Duration::from_micros;
        assert_eq!(Polling::window_after(us(10)), Polling::MIN);
        assert_eq!(Polling::window_after(us(200)), us(400));
        assert_eq!(Polling::window_after(us(900)), Polling::MAX);
        assert_eq!(Polling::window_after(us(1500)), Polling::MIN);
        let mut polling = Polling {
            enabled: true,
            window: Polling::MAX,
            sent: None,
            polled: 0,
        };
        polling.sent(b"d\0\0\0\x05x");
        assert!(polling.sent.is_none(), "COPY data expects no answer");
        polling.sent(b"X\0\0\0\x04");
        assert!(polling.sent.is_none(), "Terminate expects no answer");
        polling.sent(b"Q\0\0\0\x0dselect 1\0");
        assert!(polling.keep_polling(), "a query starts the polling");
        polling.enabled = false;
        polling.sent = None;
        polling.sent(b"Q\0\0\0\x0dselect 1\0");
        assert!(!polling.keep_polling(), "off means off");
    }

    #[test]
    fn only_one_unix_directory_has_a_socket_path() {
        let config = |s: &str| s.parse::<tokio_postgres::Config>().expect("a config");
        assert_eq!(
            socket_path(&config("host=/run/pg port=5433")),
            Some(PathBuf::from("/run/pg/.s.PGSQL.5433"))
        );
        assert_eq!(
            socket_path(&config("host=/run/pg")),
            Some(PathBuf::from("/run/pg/.s.PGSQL.5432"))
        );
        assert_eq!(socket_path(&config("host=localhost")), None);
        assert_eq!(socket_path(&config("host=/a,/b")), None);
    }
}
