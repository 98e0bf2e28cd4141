//! Keyset paging shared by the Users page and the audit log: rows are ordered newest first by
//! a time and a unique key, and a page is "the rows after (or before) this one", so reading
//! page 1,000 costs the same as page 1.

use serde::{Deserialize, Serialize};

/// A position in a list ordered newest first by (`at`, `key`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cursor {
    pub at: i64,
    pub key: String,
}

/// Which page to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageRequest {
    #[default]
    First,
    /// The rows after (older than) this one.
    After(Cursor),
    /// The rows before (newer than) this one.
    Before(Cursor),
}

impl PageRequest {
    /// A `Before` page is read oldest first and turned around afterwards.
    pub fn reads_backwards(&self) -> bool {
        matches!(self, PageRequest::Before(_))
    }
}

/// One page of rows and where the neighbouring pages start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Set when there are newer rows ("Previous").
    pub previous: Option<Cursor>,
    /// Set when there are older rows ("Next").
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Turns up to `size + 1` rows, read in `request`'s order, into a page: the extra row only
    /// tells that more rows follow in the reading direction.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        size: usize,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Self {
        let more = rows.len() > size;
        rows.truncate(size);
        if request.reads_backwards() {
            rows.reverse();
        }
        let first = rows.first().map(&cursor_of);
        let last = rows.last().map(&cursor_of);
        let (previous, next) = match request {
            PageRequest::First => (None, last.filter(|_| more)),
            PageRequest::After(_) => (first, last.filter(|_| more)),
            PageRequest::Before(_) => (first.filter(|_| more), last),
        };
        Self {
            rows,
            previous,
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(at: i64) -> Cursor {
        Cursor {
            at,
            key: at.to_string(),
        }
    }

    #[test]
    fn pages_know_their_neighbours() {
        // Newest first: 9, 8, 7 and one more.
        let first = Page::from_rows(vec![9, 8, 7, 6], &PageRequest::First, 3, |n| cursor(*n));
        assert_eq!(first.rows, vec![9, 8, 7]);
        assert_eq!((first.previous, first.next), (None, Some(cursor(7))));

        let last = Page::from_rows(vec![3, 2], &PageRequest::After(cursor(4)), 3, |n| {
            cursor(*n)
        });
        assert_eq!((last.previous, last.next), (Some(cursor(3)), None));

        // Going back from 6: read oldest first (7, 8, 9, 10), shown newest first.
        let back = Page::from_rows(vec![7, 8, 9, 10], &PageRequest::Before(cursor(6)), 3, |n| {
            cursor(*n)
        });
        assert_eq!(back.rows, vec![9, 8, 7]);
        assert_eq!(
            (back.previous, back.next),
            (Some(cursor(9)), Some(cursor(7)))
        );
    }

    /// What the database answers for `request`: up to `size + 1` rows in reading order.
    /// `rows` is the whole list, newest first and without repeats.
    fn read(rows: &[Cursor], request: &PageRequest, size: usize) -> Vec<Cursor> {
        let taken = size + 1;
        match request {
            PageRequest::First => rows.iter().take(taken).cloned().collect(),
            PageRequest::After(after) => rows
                .iter()
                .filter(|row| *row < after)
                .take(taken)
                .cloned()
                .collect(),
            PageRequest::Before(before) => rows
                .iter()
                .rev()
                .filter(|row| *row > before)
                .take(taken)
                .cloned()
                .collect(),
        }
    }

    fn page(rows: &[Cursor], request: &PageRequest, size: usize) -> Page<Cursor> {
        Page::from_rows(read(rows, request, size), request, size, Clone::clone)
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// Following "Next" from the first page shows every row once, newest first, in
            /// pages of the page size; following "Previous" back from the last page shows
            /// every row once again, in order. Rows that share a time are told apart by key.
            #[test]
            fn next_and_previous_walk_every_row_once(
                keys in proptest::collection::btree_set((0i64..20, "[a-c]{1,2}"), 0..40),
                size in 1usize..8,
            ) {
                let rows: Vec<Cursor> = keys
                    .into_iter()
                    .rev()
                    .map(|(at, key)| Cursor { at, key })
                    .collect();
                let mut forward = vec![page(&rows, &PageRequest::First, size)];
                prop_assert_eq!(forward[0].previous.clone(), None);
                while let Some(next) = forward.last().and_then(|p| p.next.clone()) {
                    prop_assert!(forward.len() <= rows.len(), "paging never ends");
                    forward.push(page(&rows, &PageRequest::After(next), size));
                }
                let seen: Vec<Cursor> = forward.iter().flat_map(|p| p.rows.clone()).collect();
                prop_assert_eq!(&seen, &rows);
                let full = forward.len() - 1;
                prop_assert!(forward.iter().take(full).all(|p| p.rows.len() == size));

                let mut backward = vec![forward[full].clone()];
                while let Some(previous) = backward.last().and_then(|p| p.previous.clone()) {
                    prop_assert!(backward.len() <= rows.len(), "paging never ends");
                    backward.push(page(&rows, &PageRequest::Before(previous), size));
                }
                backward.reverse();
                let back: Vec<Cursor> = backward.iter().flat_map(|p| p.rows.clone()).collect();
                prop_assert_eq!(&back, &rows);
                // Going back fills pages from the older end: all full but the newest and
                // the page the walk started from.
                let inner = backward.len().saturating_sub(2);
                prop_assert!(backward.iter().skip(1).take(inner).all(|p| p.rows.len() == size));
            }
        }
    }
}
