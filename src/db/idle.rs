//! Work the calling thread does while it waits for the server, instead of
//! sleeping: a run that has not loaded its files yet makes their Lua
//! environments while the server starts the session and answers the lock and
//! ledger queries (a few milliseconds it would otherwise sit idle).
//!
//! The work is done in small steps. Between two steps the wait checks for the
//! answer, so an answer is taken at most one step late; when the work says it
//! is done, it is dropped and the wait sleeps as before. Nothing the work
//! does may depend on, or change, what the connection does: it only moves
//! work that would happen anyway a little earlier.
//!
//! Kept per thread: the work belongs to the thread that waits (the run's
//! main thread, which owns the Lua state the work touches), and the
//! connection's own thread never sees it.

use std::cell::RefCell;

/// One step of work; returns whether there is more to do.
pub type IdleWork = Box<dyn FnMut() -> bool>;

thread_local! {
    static WORK: RefCell<Option<IdleWork>> = const { RefCell::new(None) };
}

/// Gives the calling thread `work` to do in its waits for the server
/// (replacing any it had), until the work is done or the returned guard is
/// dropped.
#[must_use = "the work stops when the guard is dropped"]
pub fn while_waiting(work: IdleWork) -> WhileWaiting {
    WORK.with(|slot| *slot.borrow_mut() = Some(work));
    WhileWaiting(())
}

/// Drops the calling thread's idle work, done or not.
pub struct WhileWaiting(());

impl Drop for WhileWaiting {
    fn drop(&mut self) {
        WORK.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = None;
            }
        });
    }
}

/// Does one step of the calling thread's work, if it has any; false when it
/// has none (left), so the caller should wait without it. A step that runs
/// into another wait (the work itself waiting for the server) does nothing
/// there.
pub fn step() -> bool {
    WORK.with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else {
            return false;
        };
        let Some(work) = slot.as_mut() else {
            return false;
        };
        let more = work();
        if !more {
            *slot = None;
        }
        more
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn work_runs_step_by_step_and_is_dropped_when_done() {
        let steps = Rc::new(Cell::new(0));
        let counted = steps.clone();
        let _work = while_waiting(Box::new(move || {
            counted.set(counted.get() + 1);
            counted.get() < 3
        }));
        assert!(step());
        assert!(step());
        assert!(!step(), "the third step says it is the last");
        assert!(!step(), "nothing left after it");
        assert_eq!(steps.get(), 3);
    }

    #[test]
    fn work_is_per_thread_and_ends_with_its_guard() {
        let work = while_waiting(Box::new(|| true));
        let elsewhere = std::thread::spawn(step).join().expect("the other thread");
        assert!(!elsewhere, "another thread has no work of this one");
        assert!(step());
        assert!(step());
        drop(work);
        assert!(!step(), "the guard took the work with it");
    }
}
