//! Epolls inside epolls: the checks `EPOLL_CTL_ADD` makes before an epoll
//! file goes into another (Linux's `ep_loop_check`).
//!
//! Adding `to` into `into` is refused with `ELOOP` when `into` is reachable
//! from `to` (a loop), or when the longest chain through the new link would
//! have more than [`MAX_NESTS`] links: the depth below `to`, plus one, plus
//! the depth above `into`. Each epoll is visited once per check.

use alloc::vec::Vec;
use errno::Errno;

/// Linux's `EP_MAX_NESTS`.
pub const MAX_NESTS: usize = 4;

/// The epolls and which contain which, as the kernel knows them.
pub trait Graph {
    type Node: Clone;
    /// A stable identity (the kernel uses the instance's address).
    fn id(&self, node: &Self::Node) -> usize;
    /// The epolls `node` watches.
    fn children(&self, node: &Self::Node) -> Vec<Self::Node>;
    /// The epolls that watch `node`.
    fn parents(&self, node: &Self::Node) -> Vec<Self::Node>;
}

const TOO_DEEP: usize = MAX_NESTS + 1;

fn down<G: Graph>(g: &G, node: &G::Node, into: usize, depth: usize, seen: &mut Vec<(usize, usize)>) -> usize {
    let id = g.id(node);
    if let Some((_, d)) = seen.iter().find(|(i, _)| *i == id) {
        return *d;
    }
    // Marked before the walk, as Linux's generation: a diamond is visited once.
    seen.push((id, 0));
    let mut result = 0;
    for child in g.children(node) {
        result = if g.id(&child) == into || depth > MAX_NESTS {
            TOO_DEEP
        } else {
            result.max(down(g, &child, into, depth + 1, seen) + 1)
        };
        if result > MAX_NESTS {
            break;
        }
    }
    if let Some(e) = seen.iter_mut().find(|(i, _)| *i == id) {
        e.1 = result;
    }
    result
}

fn up<G: Graph>(g: &G, node: &G::Node, depth: usize, seen: &mut Vec<(usize, usize)>) -> usize {
    let id = g.id(node);
    if let Some((_, d)) = seen.iter().find(|(i, _)| *i == id) {
        return *d;
    }
    seen.push((id, 0));
    let mut result = 0;
    if depth <= MAX_NESTS {
        for parent in g.parents(node) {
            result = result.max(up(g, &parent, depth + 1, seen) + 1);
        }
    } else {
        result = TOO_DEEP;
    }
    if let Some(e) = seen.iter_mut().find(|(i, _)| *i == id) {
        e.1 = result;
    }
    result
}

/// `Ok` if the epoll `to` may go inside the epoll `into`, else `ELOOP`.
/// (Adding an epoll to itself is the caller's `EINVAL`, checked first.)
pub fn check_add<G: Graph>(g: &G, into: &G::Node, to: &G::Node) -> Result<(), Errno> {
    let depth = down(g, to, g.id(into), 0, &mut Vec::new());
    if depth > MAX_NESTS {
        return Err(Errno::ELOOP);
    }
    let above = up(g, into, 0, &mut Vec::new());
    if depth + 1 + above > MAX_NESTS {
        return Err(Errno::ELOOP);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    /// Epolls 0..n; `edges` (parent, child): child is inside parent.
    struct Edges(Vec<(usize, usize)>);

    impl Graph for Edges {
        type Node = usize;
        fn id(&self, n: &usize) -> usize {
            *n
        }
        fn children(&self, n: &usize) -> Vec<usize> {
            self.0.iter().filter(|(p, _)| p == n).map(|(_, c)| *c).collect()
        }
        fn parents(&self, n: &usize) -> Vec<usize> {
            self.0.iter().filter(|(_, c)| c == n).map(|(p, _)| *p).collect()
        }
    }

    /// Builds a chain by adding i into i+1, as far as it is allowed.
    fn chain(len: usize) -> (Edges, Result<(), Errno>) {
        let mut g = Edges(Vec::new());
        for i in 0..len - 1 {
            let r = check_add(&g, &(i + 1), &i);
            if r.is_err() {
                return (g, r);
            }
            g.0.push((i + 1, i));
        }
        (g, Ok(()))
    }

    #[test]
    fn loops_are_refused() {
        let g = Edges(vec![(1, 0)]);
        assert_eq!(check_add(&g, &0, &1), Err(Errno::ELOOP));
        let g = Edges(vec![(1, 0), (2, 1)]);
        assert_eq!(check_add(&g, &0, &2), Err(Errno::ELOOP), "a longer loop");
        assert_eq!(check_add(&g, &3, &2), Ok(()));
    }

    #[test]
    fn five_levels_are_the_most() {
        assert_eq!(chain(5).1, Ok(()));
        let (g, r) = chain(6);
        assert_eq!(r, Err(Errno::ELOOP));
        assert_eq!(g.0.len(), 4, "the fifth link was refused");
    }

    #[test]
    fn depth_counts_from_both_ends() {
        // 0 in 1 in 2 (2 levels above 0's parent)... adding a 3-deep chain under 0 fails.
        let g = Edges(vec![(1, 0), (2, 1), (11, 10), (12, 11)]);
        assert_eq!(check_add(&g, &0, &12), Err(Errno::ELOOP));
        assert_eq!(check_add(&g, &0, &11), Ok(()));
    }

    #[test]
    fn diamonds_are_fine() {
        let g = Edges(vec![(1, 0), (2, 0), (3, 1), (3, 2)]);
        assert_eq!(check_add(&g, &4, &3), Ok(()));
        assert_eq!(check_add(&g, &0, &3), Err(Errno::ELOOP));
    }
}
