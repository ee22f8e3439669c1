//! File patterns of benchmark cards, matched against the folder a user unpacked.
//!
//! A pattern is a relative path with `/` separators. A segment may hold `*` (any run of
//! characters but `/`) and `?` (one character); a whole segment `**` matches any number of
//! folders; `{a,b}` alternatives are expanded first (`{data/,}test-*.parquet` finds shards both
//! in `data/` and at the top). Hidden entries (`.cache`, `.git`) are skipped unless the pattern
//! names them. The folder is walked segment by segment, so a pattern never lists an image folder
//! of a hundred thousand files it does not need.

use std::path::{Path, PathBuf};

use crate::error::DataError;

/// Files under `root` matching `pattern`, as paths relative to `root`, sorted and without
/// duplicates.
pub fn find(root: &Path, pattern: &str) -> Result<Vec<PathBuf>, DataError> {
    let mut found = Vec::new();
    for alternative in expand_braces(pattern) {
        let segments: Vec<&str> = alternative.split('/').filter(|s| !s.is_empty()).collect();
        walk(root, PathBuf::new(), &segments, &mut found)?;
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Whether a file name matches one pattern segment (`*` and `?` wildcards).
pub fn segment_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with one backtrack point for the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some('?') => {
                p += 1;
                n += 1;
            }
            Some(c) if *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn has_wildcard(segment: &str) -> bool {
    segment.contains(['*', '?'])
}

fn walk(
    root: &Path,
    relative: PathBuf,
    segments: &[&str],
    found: &mut Vec<PathBuf>,
) -> Result<(), DataError> {
    let Some((first, rest)) = segments.split_first() else {
        if root.join(&relative).is_file() {
            found.push(relative);
        }
        return Ok(());
    };
    let here = root.join(&relative);
    if *first == "**" {
        // Zero folders, then one more level of any (non-hidden) folder.
        walk(root, relative.clone(), rest, found)?;
        for name in list_dir(&here)? {
            if !name.starts_with('.') && here.join(&name).is_dir() {
                walk(root, relative.join(&name), segments, found)?;
            }
        }
        return Ok(());
    }
    if !has_wildcard(first) {
        let next = relative.join(first);
        if root.join(&next).exists() {
            walk(root, next, rest, found)?;
        }
        return Ok(());
    }
    for name in list_dir(&here)? {
        if name.starts_with('.') && !first.starts_with('.') {
            continue;
        }
        if segment_matches(first, &name) {
            walk(root, relative.join(&name), rest, found)?;
        }
    }
    Ok(())
}

/// Names in a folder; a missing folder has none.
fn list_dir(dir: &Path) -> Result<Vec<String>, DataError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| DataError::io(dir, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Expands `{a,b}` alternatives (nested ones too) into plain patterns.
pub fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_owned()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut splits = Vec::new();
    for (i, c) in pattern[open..].char_indices() {
        let at = open + i;
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(at);
                    break;
                }
            }
            ',' if depth == 1 => splits.push(at),
            _ => {}
        }
    }
    let Some(close) = close else {
        // An unbalanced brace is literal text.
        return vec![pattern.to_owned()];
    };
    let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&splits);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| {
            let choice = &pattern[w[0] + 1..w[1]];
            expand_braces(&format!("{prefix}{choice}{suffix}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_within_a_segment() {
        assert!(segment_matches(
            "test-*.parquet",
            "test-00000-of-00002.parquet"
        ));
        assert!(!segment_matches(
            "test-*.parquet",
            "train-00000-of-00002.parquet"
        ));
        assert!(segment_matches("*.json", "Chest CT Scan.json"));
        assert!(segment_matches("a?c", "abc"));
        assert!(!segment_matches("a?c", "ac"));
        assert!(segment_matches("*", ""));
        assert!(segment_matches("*a*b", "xxaxxb"));
        assert!(!segment_matches("*a*b", "xxaxxbc"));
    }

    #[test]
    fn braces_expand_to_alternatives() {
        assert_eq!(
            expand_braces("{data/,}test-*.parquet"),
            vec!["data/test-*.parquet", "test-*.parquet"]
        );
        assert_eq!(expand_braces("{a,b{c,d}}x"), vec!["ax", "bcx", "bdx"]);
        assert_eq!(expand_braces("no{brace"), vec!["no{brace"]);
    }

    #[test]
    fn find_walks_only_what_the_pattern_needs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "data/test-00001-of-00002.parquet",
            "data/test-00000-of-00002.parquet",
            "data/train-00000-of-00001.parquet",
            "MM/test.jsonl",
            ".cache/data/test-00000-of-00002.parquet",
            "deep/a/b/US/4_options/phrases_no_exclude_test.jsonl",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        let shards = find(root, "{data/,}test-*.parquet").unwrap();
        assert_eq!(
            shards,
            vec![
                PathBuf::from("data/test-00000-of-00002.parquet"),
                PathBuf::from("data/test-00001-of-00002.parquet"),
            ]
        );
        assert_eq!(
            find(root, "{MM/,}test.jsonl").unwrap(),
            vec![PathBuf::from("MM/test.jsonl")]
        );
        assert_eq!(
            find(root, "**/US/4_options/phrases_no_exclude_test.jsonl").unwrap(),
            vec![PathBuf::from(
                "deep/a/b/US/4_options/phrases_no_exclude_test.jsonl"
            )]
        );
        assert!(find(root, "missing/*.json").unwrap().is_empty());
    }
}
