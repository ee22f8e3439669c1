//! The synonym and paraphrase data of METEOR 1.5's English configuration, read from the files
//! the jar ships: WordNet synsets and morphological exceptions (inside `meteor-1.5.jar`, under
//! `synonym/`) and the paraphrase table (`data/paraphrase-en.gz` beside the jar).
//!
//! medeval does not ship this data: the paraphrase table alone is 62 MB compressed, and both
//! files are the jar's (LGPL 2.1, the synsets derived from WordNet 3.0 under Princeton's
//! licence). Users point at a copy they already have, most often their pycocoevalcap
//! installation; see [`MeteorData::load`] for the layouts accepted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::ngram::FastMap;

/// Why METEOR's data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MeteorDataError {
    /// No known layout was found at the path.
    #[error(
        "{path}: no METEOR 1.5 data found (looked for {looked_for}); point at meteor-1.5.jar \
         (with data/paraphrase-en.gz beside it, as pycocoevalcap installs it), at the folder \
         holding it, or at a folder with english.synsets, english.exceptions and \
         paraphrase-en.gz"
    )]
    NotFound {
        /// The path the user gave.
        path: PathBuf,
        /// What was looked for there.
        looked_for: String,
    },
    /// A file could not be read.
    #[error("{path}: cannot read METEOR data: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The jar could not be opened as a zip archive, or lacks a member.
    #[error("{path}: cannot read {member} from the METEOR jar: {reason}")]
    Jar {
        /// The jar.
        path: PathBuf,
        /// The member sought.
        member: String,
        /// What went wrong.
        reason: String,
    },
    /// A line of a data file is not in the jar's format.
    #[error("{path}:{line}: {reason}; is this METEOR 1.5's data?")]
    Format {
        /// The file (or `jar!member`).
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
}

/// METEOR 1.5's English synonym and paraphrase data, loaded once and shared by every item.
#[derive(Debug)]
pub struct MeteorData {
    /// Where the data was read from, for the record next to every number.
    pub source: String,
    pub(super) synonyms: SynonymDictionary,
    pub(super) paraphrases: ParaphraseTable,
}

const JAR_NAME: &str = "meteor-1.5.jar";
const SYNSETS: &str = "english.synsets";
const EXCEPTIONS: &str = "english.exceptions";
const PARAPHRASES: &str = "paraphrase-en.gz";

impl MeteorData {
    /// Reads the data from `path`, which may be:
    ///
    /// * `meteor-1.5.jar` itself: the synonym files are read from inside it and the paraphrase
    ///   table from `data/paraphrase-en.gz` beside it (the jar's own default, and how
    ///   pycocoevalcap installs it);
    /// * a folder holding `meteor-1.5.jar` (pycocoevalcap's `meteor/` folder) or a `meteor/`
    ///   folder holding it (the `pycocoevalcap` package folder);
    /// * a folder with the files extracted: `english.synsets` and `english.exceptions` (or
    ///   `synonym/english.*`) and `paraphrase-en.gz` (or `data/paraphrase-en.gz`).
    pub fn load(path: &Path) -> Result<Self, MeteorDataError> {
        let io = |source| MeteorDataError::Io {
            path: path.to_owned(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(io)?;
        if metadata.is_file() {
            return Self::from_jar(path);
        }
        for jar in [path.join(JAR_NAME), path.join("meteor").join(JAR_NAME)] {
            if jar.is_file() {
                return Self::from_jar(&jar);
            }
        }
        let synsets = first_file(path, &[SYNSETS, "synonym/english.synsets"]);
        let exceptions = first_file(path, &[EXCEPTIONS, "synonym/english.exceptions"]);
        let paraphrases = first_file(path, &[PARAPHRASES, "data/paraphrase-en.gz"]);
        match (synsets, exceptions, paraphrases) {
            (Some(synsets), Some(exceptions), Some(paraphrases)) => {
                let read = |file: &Path| std::fs::read(file).map_err(|source| io_at(file, source));
                let synonyms = SynonymDictionary::parse(
                    &read(&exceptions)?,
                    &exceptions,
                    &read(&synsets)?,
                    &synsets,
                )?;
                Ok(Self {
                    source: path.display().to_string(),
                    synonyms,
                    paraphrases: ParaphraseTable::read_gz(&paraphrases)?,
                })
            }
            _ => Err(MeteorDataError::NotFound {
                path: path.to_owned(),
                looked_for: format!(
                    "{JAR_NAME}, meteor/{JAR_NAME}, or {SYNSETS}, {EXCEPTIONS} and {PARAPHRASES} \
                     (also under synonym/ and data/)"
                ),
            }),
        }
    }

    /// Synonym files from inside the jar, paraphrase table from `data/` beside it.
    fn from_jar(jar: &Path) -> Result<Self, MeteorDataError> {
        let file = File::open(jar).map_err(|source| io_at(jar, source))?;
        let jar_error = |member: &str, reason: String| MeteorDataError::Jar {
            path: jar.to_owned(),
            member: member.to_owned(),
            reason,
        };
        let mut archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| jar_error("its index", e.to_string()))?;
        let mut member = |name: &str| -> Result<Vec<u8>, MeteorDataError> {
            let mut entry = archive
                .by_name(name)
                .map_err(|e| jar_error(name, e.to_string()))?;
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| jar_error(name, e.to_string()))?;
            Ok(bytes)
        };
        let exceptions_name = format!("synonym/{EXCEPTIONS}");
        let synsets_name = format!("synonym/{SYNSETS}");
        let exceptions = member(&exceptions_name)?;
        let synsets = member(&synsets_name)?;
        let synonyms = SynonymDictionary::parse(
            &exceptions,
            &jar.join(&exceptions_name),
            &synsets,
            &jar.join(&synsets_name),
        )?;
        let folder = jar.parent().unwrap_or(Path::new("."));
        let paraphrases = folder.join("data").join(PARAPHRASES);
        if !paraphrases.is_file() {
            return Err(MeteorDataError::NotFound {
                path: jar.to_owned(),
                looked_for: format!("the paraphrase table {}", paraphrases.display()),
            });
        }
        Ok(Self {
            source: jar.display().to_string(),
            synonyms,
            paraphrases: ParaphraseTable::read_gz(&paraphrases)?,
        })
    }

    /// Data built from the contents of the three files (`paraphrases` uncompressed), for tests
    /// and for callers that hold the data in memory.
    pub fn from_contents(
        exceptions: &str,
        synsets: &str,
        paraphrases: &str,
    ) -> Result<Self, MeteorDataError> {
        let synonyms = SynonymDictionary::parse(
            exceptions.as_bytes(),
            Path::new(EXCEPTIONS),
            synsets.as_bytes(),
            Path::new(SYNSETS),
        )?;
        let paraphrases = ParaphraseTable::read(paraphrases.as_bytes(), Path::new("paraphrases"))?;
        Ok(Self {
            source: "in-memory data".to_owned(),
            synonyms,
            paraphrases,
        })
    }
}

fn io_at(path: &Path, source: std::io::Error) -> MeteorDataError {
    MeteorDataError::Io {
        path: path.to_owned(),
        source,
    }
}

fn first_file(folder: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|name| folder.join(name))
        .find(|p| p.is_file())
}

/// Lines as Java's `BufferedReader.readLine` gives them (`\n`, `\r\n` or `\r` end a line).
fn java_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        rest = &rest[end..];
        if rest.starts_with("\r\n") {
            rest = &rest[2..];
        } else if !rest.is_empty() {
            rest = &rest[1..];
        }
        Some(line)
    })
}

/// Java's `StringTokenizer` with its default delimiters.
fn java_tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split([' ', '\t', '\n', '\r', '\u{c}'])
        .filter(|t| !t.is_empty())
}

/// [`java_tokens`] over the bytes of a line.
fn java_byte_tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c))
        .filter(|t| !t.is_empty())
}

/// WordNet synsets per word form and the morphological exceptions (irregular forms and their
/// base forms), as the jar's `SynonymDictionary` reads them.
#[derive(Debug, Default)]
pub(super) struct SynonymDictionary {
    /// Irregular form -> its base forms, in file order.
    bases: HashMap<Box<str>, Vec<Box<str>>>,
    /// Word -> its synset numbers, sorted.
    synsets: HashMap<Box<str>, Box<[u32]>>,
}

/// WordNet 3.0's detachment suffixes and the endings that replace them (nouns, verbs,
/// adjectives), tried in this order by the jar's `morph`.
const SUFFIXES: [(&str, &str); 20] = [
    ("s", ""),
    ("ses", "s"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("men", "man"),
    ("ies", "y"),
    ("s", ""),
    ("ies", "y"),
    ("es", "e"),
    ("es", ""),
    ("ed", "e"),
    ("ed", ""),
    ("ing", "e"),
    ("ing", ""),
    ("er", ""),
    ("est", ""),
    ("er", "e"),
    ("est", "e"),
];

impl SynonymDictionary {
    fn parse(
        exceptions: &[u8],
        exceptions_path: &Path,
        synsets: &[u8],
        synsets_path: &Path,
    ) -> Result<Self, MeteorDataError> {
        let utf8 = |bytes: &[u8], path: &Path| {
            std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|e| MeteorDataError::Format {
                    path: path.to_owned(),
                    line: 1 + bytes[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count(),
                    reason: "not UTF-8".to_owned(),
                })
        };
        let mut dictionary = Self::default();
        let exceptions = utf8(exceptions, exceptions_path)?;
        let mut lines = java_lines(&exceptions);
        while let Some(base) = lines.next() {
            let forms = lines.next().unwrap_or_default();
            for form in java_tokens(forms) {
                dictionary
                    .bases
                    .entry(form.into())
                    .or_default()
                    .push(base.into());
            }
        }
        let synsets = utf8(synsets, synsets_path)?;
        let mut lines = java_lines(&synsets).enumerate();
        while let Some((_, word)) = lines.next() {
            let (number, sets) = lines.next().unwrap_or((0, ""));
            let mut ids = java_tokens(sets)
                .map(|t| {
                    t.parse::<u32>().map_err(|_| MeteorDataError::Format {
                        path: synsets_path.to_owned(),
                        line: number + 1,
                        reason: format!("synset number expected, found {t:?}"),
                    })
                })
                .collect::<Result<Vec<u32>, _>>()?;
            ids.sort_unstable();
            ids.dedup();
            dictionary.synsets.insert(word.into(), ids.into());
        }
        Ok(dictionary)
    }

    fn own(&self, word: &str) -> &[u32] {
        self.synsets.get(word).map_or(&[], |s| s)
    }

    /// The synsets of `word` and of its base forms (its listed exceptions, or else the form
    /// WordNet's suffix rules give), sorted: what the jar's synonym module compares.
    pub(super) fn synsets_of(&self, word: &str) -> Vec<u32> {
        let mut all: Vec<u32> = self.own(word).to_vec();
        match self.bases.get(word) {
            Some(bases) => {
                for base in bases {
                    all.extend_from_slice(self.own(base));
                }
            }
            None => {
                if let Some(base) = self.morph(word) {
                    all.extend_from_slice(self.own(&base));
                }
            }
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    /// WordNet's detachment rules: the first suffix replacement that gives a word with
    /// synsets. Words ending in `ss` or of at most two characters are their own base.
    fn morph(&self, word: &str) -> Option<String> {
        if word.ends_with("ss") || word.encode_utf16().count() <= 2 {
            return Some(word.to_owned());
        }
        SUFFIXES.iter().find_map(|(suffix, ending)| {
            let stem = word.strip_suffix(suffix)?;
            let base = format!("{stem}{ending}");
            self.synsets.contains_key(base.as_str()).then_some(base)
        })
    }
}

/// Reads until `buffer` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The blocks another thread decompressed, as one stream.
struct BlockReader {
    receiver: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    block: Vec<u8>,
    at: usize,
}

impl Read for BlockReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.block.len() {
            match self.receiver.recv() {
                Ok(block) => {
                    self.block = block?;
                    self.at = 0;
                    if self.block.is_empty() {
                        return Ok(0);
                    }
                }
                // The decompressor has finished.
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.block.len() - self.at);
        out[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The paraphrase table as the jar's `ParaphraseTransducer` holds it: word ids, a trie over
/// the first phrase of every entry, and the second phrase of every entry.
#[derive(Debug, Default)]
pub(super) struct ParaphraseTable {
    /// Word (UTF-8 bytes) -> id.
    vocabulary: FastMap<Box<[u8]>, u32>,
    /// (node << 32 | word id) -> child node; node 0 is the root.
    children: FastMap<u64, u32>,
    nodes: u32,
    /// Per node, the range of `emitted` holding the entries whose first phrase ends there.
    emits_at: Vec<(u32, u32)>,
    /// Entry indices, grouped by node, in file order within a node.
    emitted: Vec<u32>,
    /// Per entry, the range of `words` holding its second phrase.
    phrase_at: Vec<(u32, u32)>,
    words: Vec<u32>,
}

impl ParaphraseTable {
    /// Reads a gzip-compressed table, decompressing on a second thread while this one parses
    /// (the two take about as long).
    fn read_gz(path: &Path) -> Result<Self, MeteorDataError> {
        let file = File::open(path).map_err(|source| io_at(path, source))?;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
        let decompressor = std::thread::spawn(move || {
            let mut decoder =
                flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file));
            loop {
                let mut block = vec![0; 1 << 20];
                let filled = match read_full(&mut decoder, &mut block) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = sender.send(Err(e));
                        return;
                    }
                };
                block.truncate(filled);
                if filled == 0 || sender.send(Ok(block)).is_err() {
                    return;
                }
            }
        });
        let blocks = BlockReader {
            receiver,
            block: Vec::new(),
            at: 0,
        };
        let table = Self::read(BufReader::with_capacity(1 << 16, blocks), path);
        // The decompressor stops on its own at the end, on an error, or when the parser has
        // dropped its receiver.
        let _ = decompressor.join();
        table
    }

    /// Reads entries of three lines: a probability (unused, as in the jar), a phrase, and
    /// its paraphrase.
    fn read(mut input: impl BufRead, path: &Path) -> Result<Self, MeteorDataError> {
        let mut table = Self {
            nodes: 1,
            ..Self::default()
        };
        let mut node_of_entry: Vec<u32> = Vec::new();
        // Lines are split as bytes: the words are only compared for equality, and equal UTF-8
        // bytes are equal text, so nothing needs decoding.
        let mut lines: [Vec<u8>; 3] = Default::default();
        let mut line_number = 0;
        loop {
            for (k, line) in lines.iter_mut().enumerate() {
                line.clear();
                let read = input
                    .read_until(b'\n', line)
                    .map_err(|source| io_at(path, source))?;
                if read == 0 {
                    if k == 0 {
                        return Ok(table.finish(&node_of_entry));
                    }
                    return Err(MeteorDataError::Format {
                        path: path.to_owned(),
                        line: line_number + 1,
                        reason: "the file ends inside an entry of three lines".to_owned(),
                    });
                }
                line_number += 1;
            }
            let mut node = 0;
            for word in java_byte_tokens(&lines[1]) {
                let id = table.word_id(word);
                let key = edge(node, id);
                node = match table.children.get(&key) {
                    Some(&child) => child,
                    None => {
                        let child = table.nodes;
                        table.nodes += 1;
                        table.children.insert(key, child);
                        child
                    }
                };
            }
            node_of_entry.push(node);
            let start = table.words.len() as u32;
            for word in java_byte_tokens(&lines[2]) {
                let id = table.word_id(word);
                table.words.push(id);
            }
            table.phrase_at.push((start, table.words.len() as u32));
        }
    }

    fn word_id(&mut self, word: &[u8]) -> u32 {
        if let Some(&id) = self.vocabulary.get(word) {
            return id;
        }
        let id = self.vocabulary.len() as u32;
        self.vocabulary.insert(word.into(), id);
        id
    }

    /// Groups the entries by the node their first phrase ends at, keeping file order.
    fn finish(mut self, node_of_entry: &[u32]) -> Self {
        let mut counts = vec![0u32; self.nodes as usize + 1];
        for &node in node_of_entry {
            counts[node as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        self.emits_at = (0..self.nodes as usize)
            .map(|n| (counts[n], counts[n + 1]))
            .collect();
        let mut next = counts;
        self.emitted = vec![0; node_of_entry.len()];
        for (entry, &node) in node_of_entry.iter().enumerate() {
            let slot = &mut next[node as usize];
            self.emitted[*slot as usize] = entry as u32;
            *slot += 1;
        }
        self.vocabulary.shrink_to_fit();
        self.children.shrink_to_fit();
        self
    }

    /// The word's id, or `None` for a word the table does not contain (which no paraphrase
    /// can match).
    pub(super) fn id(&self, word: &str) -> Option<u32> {
        self.vocabulary.get(word.as_bytes()).copied()
    }

    /// Every entry whose first phrase starts at `words[start]`: `(phrase length, entry)` in
    /// the jar's order (shorter phrases first, file order within a length).
    pub(super) fn phrases_at(
        &self,
        words: &[Option<u32>],
        start: usize,
        out: &mut Vec<(usize, u32)>,
    ) {
        out.clear();
        let mut node = 0;
        for (offset, word) in words[start..].iter().enumerate() {
            let Some(id) = word else { break };
            let Some(&child) = self.children.get(&edge(node, *id)) else {
                break;
            };
            node = child;
            let (from, to) = self.emits_at[node as usize];
            out.extend(
                self.emitted[from as usize..to as usize]
                    .iter()
                    .map(|&entry| (offset + 1, entry)),
            );
        }
    }

    /// The second phrase of `entry`, as word ids.
    pub(super) fn paraphrase(&self, entry: u32) -> &[u32] {
        let (from, to) = self.phrase_at[entry as usize];
        &self.words[from as usize..to as usize]
    }
}

/// The key of the trie edge from `node` by word `id`.
fn edge(node: u32, id: u32) -> u64 {
    (u64::from(node) << 32) | u64::from(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morph_follows_wordnet_detachment_rules() {
        let data = MeteorData::from_contents(
            "mouse\nmice\n",
            "box\n1\nlung\n2\nmouse\n3\nstudy\n4\nglass\n5\n",
            "",
        )
        .expect("data");
        let s = &data.synonyms;
        assert_eq!(s.synsets_of("boxes"), vec![1]);
        assert_eq!(s.synsets_of("lungs"), vec![2]);
        assert_eq!(s.synsets_of("mice"), vec![3]);
        assert_eq!(s.synsets_of("studies"), vec![4]);
        // Words ending in `ss` are their own base; unknown words have no synsets.
        assert_eq!(s.synsets_of("glass"), vec![5]);
        assert_eq!(s.synsets_of("glasses"), vec![5]);
        assert!(s.synsets_of("heart").is_empty());
    }

    #[test]
    fn paraphrase_phrases_are_found_shortest_first_in_file_order() {
        let data = MeteorData::from_contents(
            "",
            "",
            "0.5\nno evidence\nnot\n0.5\nno\nnone\n0.5\nno evidence of\nwithout\n0.5\nno\nnot any\n",
        )
        .expect("data");
        let p = &data.paraphrases;
        let words: Vec<Option<u32>> = ["no", "evidence", "of", "x"]
            .iter()
            .map(|w| p.id(w))
            .collect();
        assert_eq!(words[3], None);
        let mut found = Vec::new();
        p.phrases_at(&words, 0, &mut found);
        let lengths: Vec<usize> = found.iter().map(|f| f.0).collect();
        assert_eq!(lengths, vec![1, 1, 2, 3]);
        assert_eq!(p.paraphrase(found[0].1), &[p.id("none").expect("known")]);
        assert_eq!(p.paraphrase(found[1].1).len(), 2);
    }

    #[test]
    fn a_folder_without_data_is_refused_with_what_was_looked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = MeteorData::load(dir.path()).expect_err("no data");
        let message = err.to_string();
        assert!(message.contains("meteor-1.5.jar"), "{message}");
        assert!(message.contains("paraphrase-en.gz"), "{message}");
    }
}
