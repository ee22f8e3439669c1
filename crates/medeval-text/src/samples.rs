//! Reading references and candidates from JSONL files and pairing them by id.
//!
//! Both files hold one JSON object per line, `{"id": ..., "text": ...}`; in the references file
//! `text` may also be a list of strings (several references for one item). Ids are strings or
//! integers. Anything else is an error naming the file, the line and (when known) the id: a
//! metric computed over silently dropped or mispaired items is worse than no metric.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::ngram::FastMap;

/// One item to score: a generated report and its reference report(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The item id shared by both files.
    pub id: String,
    /// The generated text.
    pub candidate: String,
    /// One or more reference texts.
    pub references: Vec<String>,
}

/// Why the input files cannot be scored.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line is not valid UTF-8.
    #[error("{path}, line {line}: not valid UTF-8")]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A line is not a JSON object.
    #[error("{path}, line {line}: malformed JSON: {message}")]
    MalformedJson {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the parser reported.
        message: String,
    },
    /// A required field is absent or has the wrong type.
    #[error("{path}, line {line}{}: field `{field}` {problem}", id_suffix(.id.as_deref()))]
    BadField {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The item id, when it could be read.
        id: Option<String>,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The same id appears twice in one file.
    #[error("{path}, line {line}: duplicate id {id:?} (first seen on line {first_line})")]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// 1-based line number of the repeat.
        line: usize,
        /// The id.
        id: String,
        /// 1-based line number of the first occurrence.
        first_line: usize,
    },
    /// Ids present in one file are missing from the other.
    #[error("{count} id(s) of {path} have no entry in {other}; first: id {id:?} on line {line}")]
    MissingPartner {
        /// The file the ids come from.
        path: PathBuf,
        /// The file they are missing from.
        other: PathBuf,
        /// How many ids are affected.
        count: usize,
        /// The first affected id.
        id: String,
        /// Its 1-based line number in `path`.
        line: usize,
    },
}

fn id_suffix(id: Option<&str>) -> String {
    id.map(|id| format!(" (id {id:?})")).unwrap_or_default()
}

/// One parsed line.
struct Entry {
    line: usize,
    id: String,
    texts: Vec<String>,
}

/// Parses every line in parallel, then reports the first problem by line number.
fn parse_file(path: &Path, allow_list: bool) -> Result<Vec<Entry>, InputError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Io {
        path: path.to_owned(),
        source,
    })?;
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let parsed: Vec<Result<Option<Entry>, InputError>> = lines
        .par_iter()
        .enumerate()
        .map(|(index, raw)| parse_line(path, index + 1, raw, allow_list))
        .collect();
    // The first repeated id before any line that fails to parse (found by reference, so that
    // the ids need not be copied into the map).
    let duplicate = {
        let mut seen: FastMap<&str, usize> = FastMap::default();
        seen.reserve(parsed.len());
        let mut duplicate = None;
        for (index, result) in parsed.iter().enumerate() {
            match result {
                Err(_) => break,
                Ok(None) => {}
                Ok(Some(entry)) => {
                    if let Some(first_line) = seen.insert(&entry.id, entry.line) {
                        duplicate = Some((index, first_line));
                        break;
                    }
                }
            }
        }
        duplicate
    };
    let mut entries = Vec::with_capacity(parsed.len());
    for (index, result) in parsed.into_iter().enumerate() {
        let Some(entry) = result? else {
            continue;
        };
        if let Some((at, first_line)) = duplicate
            && at == index
        {
            return Err(InputError::DuplicateId {
                path: path.to_owned(),
                line: entry.line,
                id: entry.id,
                first_line,
            });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// One line: `None` for a blank line.
fn parse_line(
    path: &Path,
    line: usize,
    raw: &[u8],
    allow_list: bool,
) -> Result<Option<Entry>, InputError> {
    let text = std::str::from_utf8(raw).map_err(|_| InputError::InvalidUtf8 {
        path: path.to_owned(),
        line,
    })?;
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(None);
    }
    if let Ok(quick) = serde_json::from_str::<QuickLine>(text)
        && (allow_list || !quick.from_list)
    {
        return Ok(Some(Entry {
            line,
            id: quick.id,
            texts: quick.texts,
        }));
    }
    // Not the plain shape (or not valid at all): read the line again as a JSON value to say
    // precisely what is wrong, or to accept what the quick reader is too strict for.
    let value: Value = serde_json::from_str(text).map_err(|e| InputError::MalformedJson {
        path: path.to_owned(),
        line,
        message: e.to_string(),
    })?;
    let bad = |id: Option<String>, field: &'static str, problem: &str| InputError::BadField {
        path: path.to_owned(),
        line,
        id,
        field,
        problem: problem.to_owned(),
    };
    let Value::Object(object) = value else {
        return Err(bad(None, "id", "missing: the line is not a JSON object"));
    };
    let id = match object.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return Err(bad(None, "id", "must be a string or an integer")),
        None => return Err(bad(None, "id", "is missing")),
    };
    let texts = match object.get("text") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) if allow_list => {
            let mut texts = Vec::with_capacity(items.len());
            for (k, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => texts.push(s.clone()),
                    _ => {
                        return Err(bad(
                            Some(id),
                            "text",
                            &format!("element {k} is not a string"),
                        ));
                    }
                }
            }
            if texts.is_empty() {
                return Err(bad(Some(id), "text", "is an empty list"));
            }
            texts
        }
        Some(Value::Array(_)) => {
            return Err(bad(
                Some(id),
                "text",
                "must be a string (one candidate per id)",
            ));
        }
        Some(_) if allow_list => {
            return Err(bad(
                Some(id),
                "text",
                "must be a string or a list of strings",
            ));
        }
        Some(_) => return Err(bad(Some(id), "text", "must be a string")),
        None => return Err(bad(Some(id), "text", "is missing")),
    };
    Ok(Some(Entry { line, id, texts }))
}

/// A line of the plain shape `{"id": ..., "text": ...}`, deserialised straight from the JSON
/// text instead of through a `serde_json::Value` tree and copies of its strings (which took
/// most of the reading time).
///
/// It is strict: it fails on anything unusual (a repeated key, a wrong type, an empty list, a
/// missing field), and [`parse_line`] then falls back to the `Value` reader, which accepts or
/// reports such lines. Whenever it succeeds, the `Value` reader would have produced the same
/// entry: other fields are still parsed as full `Value`s (not skipped), so a line the `Value`
/// reader rejects (an unpaired surrogate escape, nesting beyond serde_json's depth limit) is
/// never accepted here.
struct QuickLine {
    id: String,
    texts: Vec<String>,
    /// Whether `text` was a list (allowed in the references file only).
    from_list: bool,
}

impl<'de> serde::Deserialize<'de> for QuickLine {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(QuickLineVisitor)
    }
}

struct QuickLineVisitor;

impl<'de> serde::de::Visitor<'de> for QuickLineVisitor {
    type Value = QuickLine;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object with `id` and `text`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<QuickLine, A::Error> {
        use serde::de::Error;
        let mut id: Option<QuickId> = None;
        let mut text: Option<QuickText> = None;
        while let Some(key) = map.next_key::<QuickKey>()? {
            match key {
                QuickKey::Id if id.is_none() => id = Some(map.next_value()?),
                QuickKey::Text if text.is_none() => text = Some(map.next_value()?),
                QuickKey::Other => {
                    map.next_value::<Value>()?;
                }
                QuickKey::Id | QuickKey::Text => return Err(A::Error::custom("repeated key")),
            }
        }
        match (id, text) {
            (Some(QuickId(id)), Some(QuickText { texts, from_list })) if !texts.is_empty() => {
                Ok(QuickLine {
                    id,
                    texts,
                    from_list,
                })
            }
            _ => Err(A::Error::custom("missing or empty field")),
        }
    }
}

/// A key of a line's object.
enum QuickKey {
    Id,
    Text,
    Other,
}

impl<'de> serde::Deserialize<'de> for QuickKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = QuickKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<QuickKey, E> {
                Ok(match key {
                    "id" => QuickKey::Id,
                    "text" => QuickKey::Text,
                    _ => QuickKey::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// An id: a string, or an integer written in decimal (as `serde_json::Number` prints it).
struct QuickId(String);

impl<'de> serde::Deserialize<'de> for QuickId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = QuickId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, id: &str) -> Result<QuickId, E> {
                Ok(QuickId(id.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<QuickId, E> {
                Ok(QuickId(id.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, id: i64) -> Result<QuickId, E> {
                Ok(QuickId(id.to_string()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// `text`: a string, or a list of strings.
struct QuickText {
    texts: Vec<String>,
    from_list: bool,
}

impl<'de> serde::Deserialize<'de> for QuickText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> serde::de::Visitor<'de> for TextVisitor {
            type Value = QuickText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<QuickText, E> {
                Ok(QuickText {
                    texts: vec![text.to_owned()],
                    from_list: false,
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<QuickText, A::Error> {
                let mut texts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(text) = seq.next_element::<String>()? {
                    texts.push(text);
                }
                Ok(QuickText {
                    texts,
                    from_list: true,
                })
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Reads both files and pairs them by id, in the order of the references file.
pub fn read_samples(references: &Path, candidates: &Path) -> Result<Vec<Sample>, InputError> {
    // Both files are read at once; a problem in the references file is still reported first.
    let (refs, cands) = rayon::join(
        || parse_file(references, true),
        || parse_file(candidates, false),
    );
    let refs = refs?;
    let (cand_ids, mut cand_texts): (Vec<(String, usize)>, Vec<Vec<String>>) = cands?
        .into_iter()
        .map(|e| ((e.id, e.line), e.texts))
        .unzip();
    let position: FastMap<&str, usize> = cand_ids
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let missing_candidates: Vec<&Entry> = refs
        .iter()
        .filter(|e| !position.contains_key(e.id.as_str()))
        .collect();
    if let Some(first) = missing_candidates.first() {
        return Err(InputError::MissingPartner {
            path: references.to_owned(),
            other: candidates.to_owned(),
            count: missing_candidates.len(),
            id: first.id.clone(),
            line: first.line,
        });
    }
    {
        let ref_ids: FastMap<&str, ()> = refs.iter().map(|e| (e.id.as_str(), ())).collect();
        let missing_references: Vec<&(String, usize)> = cand_ids
            .iter()
            .filter(|(id, _)| !ref_ids.contains_key(id.as_str()))
            .collect();
        if let Some((id, line)) = missing_references.first() {
            return Err(InputError::MissingPartner {
                path: candidates.to_owned(),
                other: references.to_owned(),
                count: missing_references.len(),
                id: id.clone(),
                line: *line,
            });
        }
    }
    Ok(refs
        .into_iter()
        .filter_map(|r| {
            let texts = std::mem::take(&mut cand_texts[*position.get(r.id.as_str())?]);
            Some(Sample {
                candidate: texts.into_iter().next().unwrap_or_default(),
                id: r.id,
                references: r.texts,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(content).expect("write");
        f
    }

    #[test]
    fn pairs_by_id_in_reference_order() {
        let refs =
            file(b"{\"id\": \"b\", \"text\": [\"x\", \"y\"]}\n{\"id\": 7, \"text\": \"z\"}\n\n");
        let cands = file(b"{\"id\": \"7\", \"text\": \"c7\"}\n{\"id\": \"b\", \"text\": \"cb\"}\n");
        let samples = read_samples(refs.path(), cands.path()).expect("valid");
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].id, "b");
        assert_eq!(samples[0].references, vec!["x", "y"]);
        assert_eq!(samples[1].candidate, "c7");
    }

    /// Lines off the plain shape fall back to the `Value` reader and keep its behaviour.
    #[test]
    fn unusual_lines_read_as_json_values_would() {
        let refs = file(
            b"{\"id\": \"a\", \"id\": \"b\", \"text\": \"x\", \"text\": [\"y\", \"z\"]}\n\
              {\"meta\": {\"k\": [1, null]}, \"\\u0069d\": -5, \"text\": \"q\"}\n",
        );
        let cands = file(b"{\"id\": \"b\", \"text\": \"cb\"}\n{\"id\": -5, \"text\": \"c5\"}\n");
        let samples = read_samples(refs.path(), cands.path()).expect("valid");
        assert_eq!(samples[0].id, "b", "the last of repeated keys counts");
        assert_eq!(samples[0].references, vec!["y", "z"]);
        assert_eq!(samples[1].id, "-5");
        assert_eq!(samples[1].candidate, "c5");

        // Other fields are validated as strictly as the ones read.
        let refs = file(b"{\"id\": \"b\", \"text\": \"x\", \"note\": \"\\ud800\"}\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("lone surrogate");
        assert!(
            matches!(err, InputError::MalformedJson { line: 1, .. }),
            "{err}"
        );
        let deep = format!(
            "{{\"id\": \"b\", \"text\": \"x\", \"n\": {}{}}}\n",
            "[".repeat(200),
            "]".repeat(200)
        );
        let refs = file(deep.as_bytes());
        let err = read_samples(refs.path(), cands.path()).expect_err("too deep");
        assert!(
            matches!(err, InputError::MalformedJson { line: 1, .. }),
            "{err}"
        );

        let cands = file(b"{\"id\": \"b\", \"text\": [\"cb\"]}\n");
        let refs = file(b"{\"id\": \"b\", \"text\": \"x\"}\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("list candidate");
        assert!(err.to_string().contains("one candidate per id"), "{err}");
    }

    #[test]
    fn errors_name_file_line_and_id() {
        let refs = file(b"{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"a\", \"text\": \"y\"}\n");
        let cands = file(b"{\"id\": \"a\", \"text\": \"c\"}\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("duplicate");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("\"a\""), "{err}");

        let refs = file(b"{\"id\": \"a\", \"text\": 5}\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("number text");
        assert!(
            err.to_string().contains("line 1 (id \"a\"): field `text`"),
            "{err}"
        );

        let refs = file(b"{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"q\", \"text\": \"x\"}\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("missing candidate");
        assert!(err.to_string().contains("id \"q\" on line 2"), "{err}");

        let refs = file(b"{\"id\": \"a\", \"text\": \"\xff\"}\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("bad utf-8");
        assert!(
            matches!(err, InputError::InvalidUtf8 { line: 1, .. }),
            "{err}"
        );

        let refs = file(b"{\"id\": \"a\", \"text\": \"x\"\n");
        let err = read_samples(refs.path(), cands.path()).expect_err("bad json");
        assert!(
            matches!(err, InputError::MalformedJson { line: 1, .. }),
            "{err}"
        );
    }
}
