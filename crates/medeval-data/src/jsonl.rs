//! The native item format: JSON Lines, one item per line.
//!
//! ```json
//! {"id": "ct-001", "question": "Which modality is this?", "images": ["img/ct-001.png"],
//!  "options": {"A": "CT", "B": "MRI"}, "answer": "A", "answer_type": "mcq",
//!  "meta": {"modality": "CT"}, "cluster": "patient-7"}
//! ```
//!
//! | field         | required | meaning |
//! |---------------|----------|---------|
//! | `id`          | yes      | string or integer, unique in the file |
//! | `question`    | yes      | the question text |
//! | `images`      | no       | list of paths (relative to the items file) or `data:` URIs |
//! | `options`     | mcq only | object from letters `A`..`Z` to option text, two entries at least |
//! | `answer`      | yes      | gold: a letter (mcq), yes/no (closed), text (open, report) |
//! | `answer_type` | no       | `mcq`, `closed`, `open` or `report`; inferred when absent |
//! | `meta`        | no       | object of free metadata, used for breakdowns |
//! | `cluster`     | no       | string or integer: the image, study or patient items share |
//!
//! When `answer_type` is absent it is inferred: `mcq` when options are present, `closed` when the
//! gold answer reads as yes/no, `open` otherwise. Unknown fields are rejected, because a typo such
//! as `anwser` would otherwise silently drop the gold answer.
//!
//! The reader checks everything it can before a run starts (types, option letters, that the gold
//! letter is an option, that image files exist, lie where an items file may point (see
//! [`crate::containment`]) and are within [`MAX_IMAGE_BYTES`], that `data:` URIs decode) so that a
//! bad file fails fast with a message naming the file, line and field. Every line is checked
//! before the reader gives up, and all problems found are reported together (the first
//! [`crate::MAX_LISTED_PROBLEMS`], then a count of the rest).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use medeval_core::digest::Sha256Hasher;
use medeval_core::limits::{MAX_IMAGE_BYTES, byte_size};
use medeval_core::{AnswerType, Gold, GoldError, Image, Item, Letter, Meta, Options, YesNo};
use serde_json::{Map, Value};

use crate::containment::FileRoots;
use crate::error::{DataError, Location, ProblemList};
use crate::json_lines::{JsonLines, LineError};

/// Fields an item line may carry.
const KNOWN_FIELDS: [&str; 8] = [
    "id",
    "question",
    "images",
    "options",
    "answer",
    "answer_type",
    "meta",
    "cluster",
];

/// The items of one file, with the fingerprint a run manifest pins.
#[derive(Debug, Clone)]
pub struct ItemFile {
    /// The file the items came from.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// The items, in file order.
    pub items: Vec<Item>,
}

/// Reads and validates a native JSONL items file whose images lie in its own folder tree.
///
/// The path must name a regular file (or a link to one): a directory, a device such as
/// `/dev/zero` (which would be read for ever) or a pipe is refused before anything is read.
pub fn read_items(path: &Path) -> Result<ItemFile, DataError> {
    read_items_within(path, &FileRoots::none())
}

/// [`read_items`], also accepting images inside the folders of `roots` (`--image-root`).
pub fn read_items_within(path: &Path, roots: &FileRoots) -> Result<ItemFile, DataError> {
    let metadata = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if !metadata.is_file() {
        let kind = if metadata.is_dir() {
            "a directory"
        } else {
            "a device, pipe or socket"
        };
        return Err(DataError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a regular file (it is {kind}); give a JSON Lines items file"),
            ),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    // `Path::parent` of a bare file name is the empty path, which still means "the
    // current directory" for resolving the file's relative image paths.
    let base_dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut reader = HashingReader::new(file);
    let items = parse_items(BufReader::new(&mut reader), path, Some(base_dir), roots)?;
    Ok(ItemFile {
        path: path.to_path_buf(),
        sha256: reader.hasher.finish_hex(),
        items,
    })
}

/// Parses items from JSONL text held in memory (bundled benchmarks). `name` labels errors;
/// relative image paths are not allowed because there is no folder to resolve them against, nor
/// absolute ones (no folder was named to hold them).
pub fn parse_items_str(text: &str, name: &Path) -> Result<Vec<Item>, DataError> {
    parse_items(text.as_bytes(), name, None, &FileRoots::none())
}

/// `base_dir` is the folder relative image paths resolve against; `None` when the items
/// have no file on disk, so relative paths are refused.
///
/// A bad line does not stop the reading: every line is checked and the problems are returned
/// together (see [`ProblemList`]), so that a user fixes a file in one pass rather than one line
/// per run. Only a failed read or a line over the size limit stops it at once.
fn parse_items(
    reader: impl BufRead,
    path: &Path,
    base_dir: Option<&Path>,
    roots: &FileRoots,
) -> Result<Vec<Item>, DataError> {
    let mut items = Vec::new();
    let mut problems = ProblemList::new(path);
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut lines = JsonLines::trimmed(reader, path);
    while let Some(line) = lines.next_line() {
        let (line_no, value) = match line {
            Ok(read) => read,
            Err(LineError::Line(problem)) => {
                problems.push(problem);
                continue;
            }
            Err(LineError::Fatal(error)) => return Err(problems.ending_with(error)),
        };
        let parsed = ItemParser {
            path,
            line: line_no,
            base_dir,
            roots,
        }
        .parse(value);
        let item = match parsed {
            Ok(item) => item,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if let Some(&first_line) = first_line_of.get(&item.id) {
            problems.push(DataError::DuplicateId {
                location: Location::field(path, line_no, "id"),
                id: item.id,
                first_line,
            });
            continue;
        }
        first_line_of.insert(item.id.clone(), line_no);
        items.push(item);
    }
    problems.into_result()?;
    if items.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(items)
}

/// Validates one line's JSON value into an [`Item`].
struct ItemParser<'a> {
    path: &'a Path,
    line: usize,
    /// Where relative image paths resolve; `None` for items held only in memory.
    base_dir: Option<&'a Path>,
    /// Folders the user allowed images in besides `base_dir`.
    roots: &'a FileRoots,
}

impl ItemParser<'_> {
    fn at(&self, field: impl Into<String>) -> Location {
        Location::field(self.path, self.line, field)
    }

    fn invalid(&self, field: impl Into<String>, message: impl Into<String>) -> DataError {
        DataError::invalid(self.at(field), message)
    }

    fn parse(&self, value: Value) -> Result<Item, DataError> {
        let Value::Object(mut object) = value else {
            return Err(DataError::invalid(
                Location::line(self.path, self.line),
                format!("expected a JSON object, found {}", json_kind(&value)),
            ));
        };
        if let Some(unknown) = object.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            return Err(self.invalid(
                unknown.clone(),
                format!("unknown field; an item has {}", KNOWN_FIELDS.join(", ")),
            ));
        }
        let id = self.scalar_text(object.remove("id"), "id")?;
        let question = self.required_string(object.remove("question"), "question")?;
        let answer = self.required_string(object.remove("answer"), "answer")?;
        let options = self.options(object.remove("options"))?;
        let images = self.images(object.remove("images"))?;
        let meta = self.meta(object.remove("meta"))?;
        let cluster = match object.remove("cluster") {
            None | Some(Value::Null) => None,
            some => Some(self.scalar_text(some, "cluster")?),
        };
        let answer_type = self.answer_type(object.remove("answer_type"), &options, &answer)?;
        let gold = self.gold(answer_type, &options, &answer)?;
        Ok(Item {
            id,
            question,
            images,
            options,
            gold,
            meta,
            cluster,
        })
    }

    fn required_string(&self, value: Option<Value>, field: &str) -> Result<String, DataError> {
        match value {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(self.invalid(field, "missing (required)")),
            Some(other) => Err(self.invalid(
                field,
                format!("expected a string, found {}", json_kind(&other)),
            )),
        }
    }

    /// A string or an integer, as text (ids and cluster keys are often integers upstream).
    fn scalar_text(&self, value: Option<Value>, field: &str) -> Result<String, DataError> {
        match value {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
            Some(Value::String(_)) => Err(self.invalid(field, "must not be empty")),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            None | Some(Value::Null) => Err(self.invalid(field, "missing (required)")),
            Some(other) => Err(self.invalid(
                field,
                format!(
                    "expected a string or an integer, found {}",
                    json_kind(&other)
                ),
            )),
        }
    }

    fn options(&self, value: Option<Value>) -> Result<Options, DataError> {
        let object = match value {
            None | Some(Value::Null) => return Ok(Options::new()),
            Some(Value::Object(object)) => object,
            Some(other) => {
                return Err(self.invalid(
                    "options",
                    format!(
                        "expected an object such as {{\"A\": \"...\", \"B\": \"...\"}}, found {}",
                        json_kind(&other)
                    ),
                ));
            }
        };
        let mut options = Options::new();
        for (key, text) in object {
            let field = format!("options.{key}");
            let letter = Letter::try_from(key.clone()).map_err(|e| self.invalid(&field, e))?;
            match text {
                Value::String(text) => {
                    options.insert(letter, text);
                }
                other => {
                    return Err(self.invalid(
                        field,
                        format!("expected option text, found {}", json_kind(&other)),
                    ));
                }
            }
        }
        // Present but with fewer than two choices is a mistake, not a question without choices:
        // `{}` would otherwise make an open item whose gold answer is a letter.
        if options.len() < 2 {
            return Err(self.invalid(
                "options",
                format!(
                    "must have at least two entries, found {}; leave `options` out for an item \
                     without choices",
                    options.len()
                ),
            ));
        }
        Ok(options)
    }

    fn images(&self, value: Option<Value>) -> Result<Vec<Image>, DataError> {
        let list = match value {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(other) => {
                return Err(self.invalid(
                    "images",
                    format!(
                        "expected a list of paths or data: URIs, found {}",
                        json_kind(&other)
                    ),
                ));
            }
        };
        list.into_iter()
            .enumerate()
            .map(|(index, value)| {
                let field = format!("images[{index}]");
                match value {
                    Value::String(reference) => self.image(&reference, &field),
                    other => Err(self.invalid(
                        field,
                        format!("expected a path or data: URI, found {}", json_kind(&other)),
                    )),
                }
            })
            .collect()
    }

    fn image(&self, reference: &str, field: &str) -> Result<Image, DataError> {
        if let Some(rest) = reference.strip_prefix("data:") {
            let bytes = decode_data_uri(rest).map_err(|e| self.invalid(field, e))?;
            if bytes.len() as u64 > MAX_IMAGE_BYTES {
                return Err(self.invalid(field, too_large("the data: URI", bytes.len() as u64)));
            }
            return Ok(Image::Bytes {
                bytes: Arc::from(bytes),
                origin: format!("{}:{} {field}", self.path.display(), self.line),
            });
        }
        let relative = Path::new(reference);
        let full = match self.base_dir {
            Some(base_dir) => {
                let full = base_dir.join(relative);
                self.roots
                    .check(
                        &full,
                        base_dir,
                        &format!("image file {}", full.display()),
                        "the items file's folder",
                    )
                    .map_err(|refusal| self.invalid(field, refusal.into_message()))?;
                full
            }
            None if relative.is_absolute() => {
                if !self.roots.allows(relative) {
                    return Err(self.invalid(
                        field,
                        format!(
                            "image file {} is not inside a folder named with --image-root; \
                             items without a file on disk may name images only there",
                            relative.display()
                        ),
                    ));
                }
                relative.to_path_buf()
            }
            None => {
                return Err(self.invalid(
                    field,
                    "relative image paths need an items file on disk; use a data: URI",
                ));
            }
        };
        let metadata = std::fs::metadata(&full).ok().filter(|m| m.is_file());
        let Some(metadata) = metadata else {
            return Err(self.invalid(
                field,
                format!("image file {} does not exist", full.display()),
            ));
        };
        if metadata.len() > MAX_IMAGE_BYTES {
            return Err(self.invalid(
                field,
                too_large(&format!("image file {}", full.display()), metadata.len()),
            ));
        }
        Ok(Image::Path(full))
    }

    fn meta(&self, value: Option<Value>) -> Result<Meta, DataError> {
        match value {
            None | Some(Value::Null) => Ok(Meta::new()),
            Some(Value::Object(object)) => Ok(object_to_meta(object)),
            Some(other) => Err(self.invalid(
                "meta",
                format!("expected an object, found {}", json_kind(&other)),
            )),
        }
    }

    fn answer_type(
        &self,
        value: Option<Value>,
        options: &Options,
        answer: &str,
    ) -> Result<AnswerType, DataError> {
        match value {
            None | Some(Value::Null) => Ok(infer_answer_type(options, answer)),
            Some(Value::String(name)) => AnswerType::parse(&name).ok_or_else(|| {
                self.invalid(
                    "answer_type",
                    format!("unknown answer type {name:?}; expected mcq, closed, open or report"),
                )
            }),
            Some(other) => Err(self.invalid(
                "answer_type",
                format!("expected a string, found {}", json_kind(&other)),
            )),
        }
    }

    /// Reads the gold answer of the given type, checking it against the options.
    fn gold(
        &self,
        answer_type: AnswerType,
        options: &Options,
        answer: &str,
    ) -> Result<Gold, DataError> {
        if answer_type != AnswerType::Mcq && !options.is_empty() {
            return Err(self.invalid(
                "options",
                format!("options are only allowed on mcq items, not {answer_type}"),
            ));
        }
        if answer_type == AnswerType::Mcq && options.len() < 2 {
            return Err(self.invalid("options", "an mcq item needs at least two options"));
        }
        let gold = Gold::read(answer_type, answer).map_err(|error| match error {
            GoldError::NotALetter(_) => self.invalid(
                "answer",
                format!("an mcq answer must be an option letter, found {answer:?}"),
            ),
            GoldError::NotYesNo(_) => self.invalid(
                "answer",
                format!("a closed item's answer must be yes or no, found {answer:?}"),
            ),
        })?;
        match &gold {
            Gold::Letter(letter) if !options.contains_key(letter) => {
                let letters: String = options.keys().map(|l| l.as_char()).collect();
                Err(self.invalid(
                    "answer",
                    format!("gold letter {letter} is not among the options ({letters})"),
                ))
            }
            Gold::Text(text) | Gold::Report(text) if text.trim().is_empty() => {
                Err(self.invalid("answer", "must not be empty"))
            }
            _ => Ok(gold),
        }
    }
}

/// The documented inference for items without `answer_type`.
pub fn infer_answer_type(options: &Options, answer: &str) -> AnswerType {
    if !options.is_empty() {
        AnswerType::Mcq
    } else if YesNo::parse_gold(answer).is_some() {
        AnswerType::Closed
    } else {
        AnswerType::Open
    }
}

fn object_to_meta(object: Map<String, Value>) -> Meta {
    object.into_iter().collect()
}

/// The message for an image over [`MAX_IMAGE_BYTES`].
fn too_large(what: &str, bytes: u64) -> String {
    format!(
        "{what} is {bytes} bytes, more than the {} limit for one image; downscale or re-encode \
         it (a model sees a few megapixels at most)",
        byte_size(MAX_IMAGE_BYTES)
    )
}

/// Decodes the part of a `data:` URI after `data:`; only base64 payloads are accepted.
fn decode_data_uri(rest: &str) -> Result<Vec<u8>, String> {
    let (header, payload) = rest
        .split_once(',')
        .ok_or("data: URI has no ',' separating header and payload")?;
    if !header.ends_with(";base64") {
        return Err(format!(
            "data: URI must be base64-encoded (data:image/png;base64,...), found header {header:?}"
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| format!("data: URI payload is not valid base64: {e}"))?;
    if bytes.is_empty() {
        return Err("data: URI holds no bytes".into());
    }
    Ok(bytes)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A reader that hashes everything read through it, so a file is read once for both parsing and
/// its fingerprint.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256Hasher,
}

impl<R> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256Hasher::new(),
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
