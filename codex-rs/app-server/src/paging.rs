//! Offset paging for the list methods: a cursor is the index of a page's first item,
//! as text (`"2"`), as Codex's `model/list` writes it.

/// One page of a list, and the cursors around it.
pub struct Page<T> {
    pub data: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<String>,
    /// Where the page before starts, when this one is not the first.
    pub backwards_cursor: Option<String>,
}

/// The page of `items` starting at `cursor` (the start when absent or unreadable),
/// at most `limit` long (at least one).
pub fn page<T>(mut items: Vec<T>, cursor: Option<&str>, limit: usize) -> Page<T> {
    let start = cursor
        .and_then(|cursor| cursor.parse::<usize>().ok())
        .unwrap_or(0)
        .min(items.len());
    let limit = limit.max(1);
    let end = start.saturating_add(limit).min(items.len());
    Page {
        next_cursor: (end < items.len()).then(|| end.to_string()),
        backwards_cursor: (start > 0).then(|| start.saturating_sub(limit).to_string()),
        data: items.drain(start..end).collect(),
    }
}
