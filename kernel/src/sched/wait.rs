//! Wait queues: a thread sleeps until a condition holds, a signal arrives, or
//! a deadline passes; whoever changes the condition wakes the queue.
//!
//! Invariant: the condition is checked and the thread enqueued with
//! interrupts off, so a wake-up between the check and the sleep is never lost
//! (one CPU, kernel code is not preempted). Spurious wake-ups are allowed:
//! every waiter re-checks its condition.

use alloc::collections::VecDeque;
use alloc::sync::Arc;

use super::Thread;
use crate::sync::IrqMutex;

pub struct WaitQueue {
    waiters: IrqMutex<VecDeque<Arc<Thread>>>,
}

/// Why a wait ended without its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// A signal is pending (the syscall returns EINTR or restarts).
    Signal,
    /// The deadline passed.
    TimedOut,
}

impl Interrupted {
    /// The errno of a blocking call that ended this way: EINTR for a
    /// signal, EAGAIN when its timeout passed.
    pub fn errno(self) -> errno::Errno {
        match self {
            Interrupted::Signal => errno::Errno::EINTR,
            Interrupted::TimedOut => errno::Errno::EAGAIN,
        }
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue { waiters: IrqMutex::new(VecDeque::new()) }
    }

    /// Sleeps until `cond` returns Some. Not interruptible by signals.
    pub fn wait_for<R>(&self, mut cond: impl FnMut() -> Option<R>) -> R {
        loop {
            if let Ok(r) = self.wait_inner(&mut cond, false, None) {
                return r;
            }
        }
    }

    /// Sleeps until `cond` returns Some, a signal is pending for the running
    /// thread (or it is being killed), or `deadline` (ticks) passes.
    pub fn wait_interruptible<R>(
        &self,
        mut cond: impl FnMut() -> Option<R>,
        deadline: Option<u64>,
    ) -> Result<R, Interrupted> {
        self.wait_inner(&mut cond, true, deadline)
    }

    fn wait_inner<R>(
        &self,
        cond: &mut dyn FnMut() -> Option<R>,
        interruptible: bool,
        deadline: Option<u64>,
    ) -> Result<R, Interrupted> {
        let were = x86_64::instructions::interrupts::are_enabled();
        let result = loop {
            x86_64::instructions::interrupts::disable();
            if let Some(r) = cond() {
                break Ok(r);
            }
            if interruptible && crate::task::signal_pending() {
                break Err(Interrupted::Signal);
            }
            if deadline.is_some_and(|d| crate::time::ticks() >= d) {
                break Err(Interrupted::TimedOut);
            }
            let me = super::current();
            self.waiters.lock().push_back(me.clone());
            match deadline {
                Some(d) => super::block_until(d),
                None => super::block(),
            }
            self.waiters.lock().retain(|t| !Arc::ptr_eq(t, &me));
        };
        if were {
            x86_64::instructions::interrupts::enable();
        }
        result
    }

    /// Wakes every waiter. Safe from interrupt handlers.
    pub fn wake_all(&self) {
        let waiters: VecDeque<Arc<Thread>> = core::mem::take(&mut *self.waiters.lock());
        for t in &waiters {
            super::wake(t);
        }
    }

    /// Wakes at most `n` waiters; returns how many were woken.
    pub fn wake_n(&self, n: usize) -> usize {
        let mut woken = 0;
        while woken < n {
            let Some(t) = self.waiters.lock().pop_front() else { break };
            super::wake(&t);
            woken += 1;
        }
        woken
    }

    /// Moves up to `n` waiters to `other` without waking them (FUTEX_REQUEUE).
    pub fn requeue_to(&self, other: &WaitQueue, n: usize) -> usize {
        let mut moved = 0;
        while moved < n {
            let Some(t) = self.waiters.lock().pop_front() else { break };
            other.waiters.lock().push_back(t);
            moved += 1;
        }
        moved
    }

    pub fn has_waiters(&self) -> bool {
        !self.waiters.lock().is_empty()
    }
}
