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
}
