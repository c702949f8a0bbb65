//! Locks that are safe to share between threads and interrupt handlers.
//!
//! [`IrqMutex`] disables interrupts while held, so an interrupt handler that
//! takes the same lock can never spin forever on a lock its own CPU holds.
//! [`ExclusiveCell`] hands out one `&mut` at a time, checked at run time:
//! for state one thread owns and uses across blocking calls (a lock would
//! be held while asleep), a second borrow is a panic instead of aliasing.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};
use spin::{Mutex, MutexGuard};

pub struct IrqMutex<T> {
    inner: Mutex<T>,
}

pub struct IrqMutexGuard<'a, T> {
    guard: Option<MutexGuard<'a, T>>,
    were_enabled: bool,
}

impl<T> IrqMutex<T> {
    pub const fn new(value: T) -> Self {
        Self { inner: Mutex::new(value) }
    }

    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let were_enabled = x86_64::instructions::interrupts::are_enabled();
        x86_64::instructions::interrupts::disable();
        IrqMutexGuard { guard: Some(self.inner.lock()), were_enabled }
    }

    /// Takes the lock if it is free (used on the panic path).
    pub fn try_lock(&self) -> Option<IrqMutexGuard<'_, T>> {
        let were_enabled = x86_64::instructions::interrupts::are_enabled();
        x86_64::instructions::interrupts::disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqMutexGuard { guard: Some(guard), were_enabled }),
            None => {
                if were_enabled {
                    x86_64::instructions::interrupts::enable();
                }
                None
            }
        }
    }
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard lives until drop")
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard lives until drop")
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // Release the lock before re-enabling interrupts.
        self.guard = None;
        if self.were_enabled {
            x86_64::instructions::interrupts::enable();
        }
    }
}

/// A cell lending one `&mut T` at a time (an atomic `RefCell` without
/// shared borrows): [`ExclusiveCell::borrow_mut`] panics while the value is
/// lent, [`ExclusiveCell::try_borrow_mut`] says None.
pub struct ExclusiveCell<T> {
    lent: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and `lent` lets at
// most one guard exist at a time, on whichever thread holds it (T: Send).
unsafe impl<T: Send> Sync for ExclusiveCell<T> {}

pub struct ExclusiveGuard<'a, T> {
    cell: &'a ExclusiveCell<T>,
}

impl<T> ExclusiveCell<T> {
    pub const fn new(value: T) -> Self {
        Self { lent: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    /// The value, unless it is lent already.
    pub fn try_borrow_mut(&self) -> Option<ExclusiveGuard<'_, T>> {
        self.lent
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| ExclusiveGuard { cell: self })
    }

    /// The value; panics if it is lent already (a re-entrant use).
    #[track_caller]
    pub fn borrow_mut(&self) -> ExclusiveGuard<'_, T> {
        match self.try_borrow_mut() {
            Some(guard) => guard,
            None => panic!("ExclusiveCell borrowed twice"),
        }
    }
}

impl<T> Deref for ExclusiveGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (see `try_borrow_mut`).
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> DerefMut for ExclusiveGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<T> Drop for ExclusiveGuard<'_, T> {
    fn drop(&mut self) {
        self.cell.lent.store(false, Ordering::Release);
    }
}
