//! `Row` (a scored sample with its item), apart so `summary` and `reports` need not use each other.

use medeval_core::{Item, Scored};

/// One scored sample with its item, the unit summaries are built from.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// The item.
    pub item: &'a Item,
    /// The verdict on its response.
    pub scored: &'a Scored,
}
