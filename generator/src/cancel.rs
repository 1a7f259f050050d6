//! Cancellation of a run: a handle the caller keeps and a signal handler (or
//! another thread) cancels; the engine checks it between row groups.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A shared flag asking a run to stop. Clones share the flag: cancel one and
/// every clone reports it. A run that sees it stops at its next check with
/// `Error::Interrupted` of the `customer-events` library.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A handle not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every run holding a clone of this handle to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Cancel::cancel) was called on this handle or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag() {
        let cancel = Cancel::new();
        let clone = cancel.clone();
        assert!(!cancel.is_cancelled());
        clone.cancel();
        assert!(cancel.is_cancelled());
        assert!(!Cancel::default().is_cancelled());
    }
}
