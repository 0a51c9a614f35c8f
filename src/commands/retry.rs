//! `--lock-retries N`: a run that failed on a lock timeout is run again
//! from the start, after a wait that doubles each time.

use std::time::{Duration, Instant};

use serde_json::json;

use super::Done;
use crate::output::Reporter;
use crate::runner::timeouts::{is_lock_timeout, retry_reason};
use crate::runner::{Observer, RunnerError};

/// The first wait; each retry waits twice as long as the one before.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// The wait before attempt `attempt + 1`.
fn backoff(attempt: u32) -> Duration {
    let doubled = FIRST_WAIT.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    doubled.min(MAX_WAIT)
}

/// Sleeps, waking early (and returning false) on Ctrl-C or SIGTERM.
fn sleep(wait: Duration) -> bool {
    let end = Instant::now() + wait;
    loop {
        if crate::interrupt::received().is_some() {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(100)));
    }
}

/// Runs `attempt` (which must leave nothing behind when it fails: each run
/// is its own transaction on its own connection) up to `retries` more times
/// while it fails on a lock timeout, printing each retry. With retries, the
/// JSON document says how many attempts were made.
pub(super) fn with_lock_retries(
    retries: u32,
    reporter: &mut Reporter,
    mut attempt: impl FnMut(&mut Reporter) -> Result<Done, RunnerError>,
) -> Result<Done, RunnerError> {
    let total = retries.saturating_add(1);
    let mut made = 1;
    loop {
        match attempt(reporter) {
            Ok(mut done) => {
                if retries > 0 {
                    if let Some(doc) = done.json.as_object_mut() {
                        doc.insert("attempts".into(), json!(made));
                    }
                }
                return Ok(done);
            }
            Err(e) if is_lock_timeout(&e) && made < total => {
                let wait = backoff(made);
                reporter.warning(&format!(
                    "lock timeout{}; retrying (attempt {} of {total}) in {} s",
                    retry_reason(&e),
                    made + 1,
                    wait.as_secs()
                ));
                if !sleep(wait) {
                    return Err(e);
                }
                made += 1;
            }
            Err(e) if retries > 0 && is_lock_timeout(&e) => {
                return Err(RunnerError::Advised {
                    error: Box::new(e),
                    advice: format!("gave up after {made} attempts (`--lock-retries {retries}`)"),
                })
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_thirty_seconds() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_WAIT);
    }
}
