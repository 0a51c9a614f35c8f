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

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

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
        })
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
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut ready = ready!(self.reads.poll_read_ready(cx))?;
            let read = ready.try_io(|socket| socket.get_ref().read(buf.initialize_unfilled()));
            if let Ok(read) = read {
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
                return Poll::Ready(written);
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
                return Poll::Ready(written);
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
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
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
