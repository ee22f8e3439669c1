//! An [`Evaluation`] worded for its reader: the corpus table, the `--json` object and the
//! per-item JSON lines.
//!
//! Each carries the flavour, tokeniser and scale that produced the numbers, and names every
//! metric asked for and not computed, so a number is never shown without the convention it
//! follows - whichever front end (command line, viewer, Python) shows it.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::{Evaluation, Metric};

/// A JSON number, or `null` for a value JSON cannot hold.
fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

impl Evaluation {
    /// The corpus values as one flat JSON object, with the conventions of the `requested`
    /// metrics, the METEOR data used and the metrics not computed.
    pub fn to_json(&self, requested: &[Metric]) -> Value {
        let mut object = Map::new();
        for (key, value) in &self.corpus {
            object.insert((*key).to_owned(), number(*value));
        }
        object.insert("flavor".into(), json!(self.flavor.name()));
        object.insert("tokenizer".into(), json!(self.tokenizer.name()));
        object.insert("scale".into(), json!(self.flavor.scale()));
        object.insert("n".into(), json!(self.n));
        let conventions: Map<String, Value> = requested
            .iter()
            .map(|metric| (metric.name().into(), json!(metric.convention(self.flavor))))
            .collect();
        object.insert("conventions".into(), Value::Object(conventions));
        if let Some(source) = &self.meteor_data {
            object.insert("meteor_data".into(), json!(source));
        }
        if !self.unavailable.is_empty() {
            let unavailable: Map<String, Value> = self
                .unavailable
                .iter()
                .map(|u| (u.metric.name().to_owned(), json!(u.reason)))
                .collect();
            object.insert("not_computed".into(), Value::Object(unavailable));
        }
        Value::Object(object)
    }

    /// One JSON object per item (`id` and its values), one per line, in input order.
    pub fn write_per_item(&self, out: &mut dyn Write) -> io::Result<()> {
        for item in &self.items {
            let mut object = Map::new();
            object.insert("id".into(), json!(item.id));
            for (key, value) in &item.values {
                object.insert((*key).to_owned(), number(*value));
            }
            writeln!(out, "{}", Value::Object(object))?;
        }
        Ok(())
    }

    /// The corpus values as a two-column table under a line naming the conventions; lengths
    /// are whole numbers, scores have four decimals.
    pub fn table(&self) -> String {
        let mut out = format!(
            "flavor {}  tokenizer {}  scale {}  items {}\n\n",
            self.flavor,
            self.tokenizer,
            self.flavor.scale(),
            self.n
        );
        let width = self.corpus.iter().map(|(k, _)| k.len()).max().unwrap_or(6);
        for (key, value) in &self.corpus {
            let formatted = if key.ends_with("-len") {
                format!("{value:.0}")
            } else {
                format!("{value:.4}")
            };
            out.push_str(&format!("{key:<width$}  {formatted:>10}\n"));
        }
        for missing in &self.unavailable {
            let key = missing.metric.name();
            out.push_str(&format!(
                "{key:<width$}  not computed: {}\n",
                missing.reason
            ));
        }
        if let Some(source) = &self.meteor_data {
            out.push_str(&format!(
                "\nmeteor: METEOR 1.5, all four modules, data from {source}\n"
            ));
        }
        out
    }
}
