//! Typed handler calls: the decoding half of the front door.
//!
//! A handler is any function `fn(&mut Task, A0, A1, ...) -> R` (or
//! `fn(&mut Task, &mut TrapFrame, A0, ...) -> R` when it must see or
//! rewrite the user registers) whose parameters implement
//! `linux_abi::SyscallArg` and whose result converts into an [`Outcome`]
//! (`SysResult` or `Outcome`). [`call`] decodes register `i` into the
//! `i`-th parameter type, once, and calls it. Decoding never fails; the
//! handler checks in Linux's order.

use linux_abi::{SyscallArg, SyscallArgs};

use super::SysResult;
use crate::abi::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::task::Task;

impl From<SysResult> for Outcome {
    fn from(r: SysResult) -> Outcome {
        Outcome::Return(r)
    }
}

/// Marker of handlers without the frame parameter.
pub struct Plain;
/// Marker of handlers that take `&mut TrapFrame` after the task.
pub struct WithFrame;

/// A syscall handler with parameter types `Params` (inferred).
pub trait Handler<Params> {
    fn call(self, t: &mut Task, frame: &mut TrapFrame, args: &SyscallArgs) -> Outcome;
}

macro_rules! impl_handler {
    ($($ty:ident $i:literal),*) => {
        impl<F, R, $($ty: SyscallArg),*> Handler<(Plain, R, $($ty,)*)> for F
        where
            F: FnOnce(&mut Task, $($ty),*) -> R,
            R: Into<Outcome>,
        {
            #[allow(unused_variables)]
            fn call(self, t: &mut Task, _frame: &mut TrapFrame, args: &SyscallArgs) -> Outcome {
                self(t, $(args.get::<$ty>($i)),*).into()
            }
        }

        impl<F, R, $($ty: SyscallArg),*> Handler<(WithFrame, R, $($ty,)*)> for F
        where
            F: FnOnce(&mut Task, &mut TrapFrame, $($ty),*) -> R,
            R: Into<Outcome>,
        {
            #[allow(unused_variables)]
            fn call(self, t: &mut Task, frame: &mut TrapFrame, args: &SyscallArgs) -> Outcome {
                self(t, frame, $(args.get::<$ty>($i)),*).into()
            }
        }
    };
}

impl_handler!();
impl_handler!(A0 0);
impl_handler!(A0 0, A1 1);
impl_handler!(A0 0, A1 1, A2 2);
impl_handler!(A0 0, A1 1, A2 2, A3 3);
impl_handler!(A0 0, A1 1, A2 2, A3 3, A4 4);
impl_handler!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5);

/// Decodes the registers for `handler`'s parameters and calls it.
pub fn call<P>(handler: impl Handler<P>, t: &mut Task, frame: &mut TrapFrame, args: &SyscallArgs) -> Outcome {
    handler.call(t, frame, args)
}
