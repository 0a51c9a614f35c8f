//! Ctrl-C (SIGINT) and SIGTERM during a run: remembered, not obeyed at once.
//!
//! Dying mid-batch would leave the user with a last success line for a file
//! that the server then rolls back, and no word about it. Instead the signal
//! is recorded, the statement running on the server is cancelled, the Lua
//! instruction hook stops any running Lua code, and the runner rolls back,
//! frees the lock and exits with 128 + the signal number (130, 143) and a
//! message saying what was and was not applied. A second signal exits at once
//! (the server still rolls back when the connection closes).
//!
//! What it does not own: deciding what to roll back (the runner) or how the
//! message looks (the commands).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// Sends a cancel request for the statement running on the run's connection.
pub type Canceller = Box<dyn Fn() + Send>;

static RECEIVED: AtomicI32 = AtomicI32::new(0);
static CANCEL: Mutex<Option<Canceller>> = Mutex::new(None);

/// Starts listening for SIGINT and SIGTERM (once per process).
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("vectra-db-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if RECEIVED.swap(signal, Ordering::SeqCst) != 0 {
                    crate::output::error(&format!(
                        "{} again: exiting without waiting for the rollback (the server rolls back the open transaction when the connection closes)",
                        name(signal)
                    ));
                    std::process::exit(128 + signal);
                }
                if let Ok(cancel) = CANCEL.lock() {
                    if let Some(cancel) = cancel.as_ref() {
                        cancel();
                    }
                }
            }
        })?;
    Ok(())
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// How to cancel the statement on the server (the run's one connection).
pub fn set_canceller(cancel: Option<Canceller>) {
    if let Ok(mut slot) = CANCEL.lock() {
        *slot = cancel;
    }
}

/// `SIGINT`, `SIGTERM`, … for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        signal_hook::consts::SIGINT => "SIGINT (Ctrl-C)",
        signal_hook::consts::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// The conventional exit code after `signal`: 130 for SIGINT, 143 for SIGTERM.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(1)
}
