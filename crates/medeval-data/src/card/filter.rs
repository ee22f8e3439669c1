//! A selection's row filters (column -> accepted values), applied to records before any mapping.

use std::collections::BTreeMap;

use crate::record::{Cell, Record};

/// Filters of a selection: column -> accepted values.
pub type Filter = BTreeMap<String, Vec<String>>;

/// Whether a record passes every filter.
pub fn passes(record: &Record, filter: &Filter) -> bool {
    filter.iter().all(|(column, accepted)| {
        record
            .get(column)
            .and_then(Cell::scalar_text)
            .is_some_and(|value| accepted.iter().any(|a| a == value.trim()))
    })
}
