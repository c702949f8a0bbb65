//! [`ClusterMap`]: a node's cluster chain held as runs of consecutive clusters, so that finding
//! the cluster at any position is a binary search and contiguous data moves in one transfer.

use alloc::vec::Vec;

/// `len` consecutive clusters starting at cluster `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub start: u32,
    pub len: u32,
}

/// A cluster chain in chain order. Invariant: `firsts[i]` is the chain position of
/// `runs[i].start`, and `len` is the sum of the runs' lengths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClusterMap {
    runs: Vec<Run>,
    firsts: Vec<u32>,
    len: u32,
}

impl ClusterMap {
    pub fn new() -> ClusterMap {
        ClusterMap::default()
    }

    /// Number of clusters in the chain.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    pub fn last(&self) -> Option<u32> {
        self.runs.last().map(|r| r.start + (r.len - 1))
    }

    /// Appends `cluster` to the chain.
    pub fn push(&mut self, cluster: u32) {
        self.append(Run { start: cluster, len: 1 });
    }

    /// Appends a run of clusters to the chain, merging it with the last run when adjacent.
    pub fn append(&mut self, run: Run) {
        if run.len == 0 {
            return;
        }
        match self.runs.last_mut() {
            Some(last) if last.start.checked_add(last.len) == Some(run.start) => last.len += run.len,
            _ => {
                self.runs.push(run);
                self.firsts.push(self.len);
            }
        }
        self.len = self.len.saturating_add(run.len);
    }

    /// The cluster at chain position `index`, and how many clusters from it on are
    /// consecutive on disk (at least 1). `None` past the end of the chain.
    pub fn span_at(&self, index: u32) -> Option<(u32, u32)> {
        if index >= self.len {
            return None;
        }
        let i = self.firsts.partition_point(|&f| f <= index).checked_sub(1)?;
        let (run, first) = (self.runs.get(i)?, self.firsts.get(i)?);
        let skip = index - first;
        Some((run.start + skip, run.len - skip))
    }

    /// Keeps the first `keep` clusters and returns the runs cut off.
    pub fn truncate(&mut self, keep: u32) -> Vec<Run> {
        let mut cut = Vec::new();
        while self.len > keep {
            let (Some(last), Some(&first)) = (self.runs.last_mut(), self.firsts.last()) else {
                break;
            };
            if first >= keep {
                cut.push(*last);
                self.runs.pop();
                self.firsts.pop();
                self.len = first;
            } else {
                let kept = keep - first;
                cut.push(Run { start: last.start + kept, len: last.len - kept });
                last.len = kept;
                self.len = keep;
            }
        }
        cut.reverse();
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(clusters: &[u32]) -> ClusterMap {
        let mut m = ClusterMap::new();
        clusters.iter().for_each(|&c| m.push(c));
        m
    }

    #[test]
    fn merges_runs_and_locates() {
        let m = map(&[5, 6, 7, 20, 21, 9]);
        assert_eq!(m.runs(), &[Run { start: 5, len: 3 }, Run { start: 20, len: 2 }, Run { start: 9, len: 1 }]);
        assert_eq!(m.len(), 6);
        assert_eq!(m.span_at(0), Some((5, 3)));
        assert_eq!(m.span_at(2), Some((7, 1)));
        assert_eq!(m.span_at(4), Some((21, 1)));
        assert_eq!(m.span_at(5), Some((9, 1)));
        assert_eq!(m.span_at(6), None);
        assert_eq!(m.last(), Some(9));
    }

    #[test]
    fn truncate_returns_cut_runs() {
        let mut m = map(&[5, 6, 7, 20, 21, 9]);
        assert_eq!(m.truncate(2), [Run { start: 7, len: 1 }, Run { start: 20, len: 2 }, Run { start: 9, len: 1 }]);
        assert_eq!(m, map(&[5, 6]));
        assert_eq!(m.truncate(0), [Run { start: 5, len: 2 }]);
        assert!(m.is_empty());
        assert_eq!(m.span_at(0), None);
    }
}
