//! Which files an input may make medeval open.
//!
//! The rule (documented in `docs/runs.md`, "Which files medeval opens"): a file named inside
//! another file (an image an items line or a card row names, a card's `image_roots`) is opened
//! only when its real path, with every symbolic link resolved, lies inside the real folder of the
//! file that names it (the items file's folder, the benchmark folder), or inside a folder the user
//! named on the command line (`--image-root DIR`). An absolute path or a `../` path is therefore
//! accepted exactly when it lands in one of those folders. Items files, predictions and benchmark
//! folders are chosen by the user, so the rule is about what their contents can reach: a file
//! received from someone else cannot make medeval read `/etc/shadow` or a neighbouring patient
//! folder and send it to a model.

use std::path::{Path, PathBuf};

use crate::error::{DataError, Location};

/// The folders a user allowed besides each input's own folder (`--image-root`), resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRoots {
    /// Real paths (symbolic links resolved) of the folders, in the order given.
    roots: Vec<PathBuf>,
}

/// Why a named file may not be opened, or could not be looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Nothing is there (or it cannot be resolved).
    Missing(String),
    /// It resolves outside every allowed folder: the message says where it lies and why.
    Outside(String),
}

impl Refusal {
    /// The message, whichever kind.
    pub(crate) fn into_message(self) -> String {
        match self {
            Self::Missing(message) | Self::Outside(message) => message,
        }
    }
}

impl FileRoots {
    /// Only each input's own folder: no folder named by the user.
    pub fn none() -> Self {
        Self::default()
    }

    /// The folders `dirs` (from `--image-root`), each resolved to its real path; a folder that
    /// does not exist, or is not a folder, is an error naming it.
    pub fn new(dirs: &[PathBuf]) -> Result<Self, DataError> {
        let mut roots = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let real = dir.canonicalize().map_err(|e| DataError::io(dir, e))?;
            if !real.is_dir() {
                return Err(DataError::invalid(
                    Location::file(dir),
                    "--image-root must name a folder",
                ));
            }
            roots.push(real);
        }
        Ok(Self { roots })
    }

    /// The resolved folders, in the order given.
    pub fn folders(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Checks that `path` (already joined to the folder of the file naming it) resolves inside
    /// `home`, the naming file's folder, or inside one of the user's folders. `what` names the
    /// path in messages ("image file img/a.png"), `home_label` the folder ("the items file's
    /// folder").
    pub(crate) fn check(
        &self,
        path: &Path,
        home: &Path,
        what: &str,
        home_label: &str,
    ) -> Result<(), Refusal> {
        let real = path
            .canonicalize()
            .map_err(|_| Refusal::Missing(format!("{what} does not exist")))?;
        let home_real = home.canonicalize().map_err(|e| {
            Refusal::Missing(format!(
                "{home_label} {} cannot be read: {e}",
                home.display()
            ))
        })?;
        if real.starts_with(&home_real) || self.roots.iter().any(|root| real.starts_with(root)) {
            return Ok(());
        }
        Err(Refusal::Outside(format!(
            "{what} resolves to {}, outside {home_label} {}{}; medeval opens only files inside \
             the folder of the file that names them, or inside a folder named with --image-root",
            real.display(),
            home_real.display(),
            self.describe_roots()
        )))
    }

    /// Whether `path` resolves inside one of the user's folders (for files named where there is
    /// no folder of a naming file, such as items held in memory).
    pub(crate) fn allows(&self, path: &Path) -> bool {
        path.canonicalize()
            .is_ok_and(|real| self.roots.iter().any(|root| real.starts_with(root)))
    }

    fn describe_roots(&self) -> String {
        if self.roots.is_empty() {
            return String::new();
        }
        let shown: Vec<String> = self.roots.iter().map(|r| r.display().to_string()).collect();
        format!(" and the --image-root folders ({})", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn files_inside_the_home_folder_or_a_named_root_pass_and_others_do_not() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("img")).unwrap();
        std::fs::write(home.path().join("img/a.png"), b"x").unwrap();
        std::fs::write(elsewhere.path().join("b.png"), b"x").unwrap();
        let none = FileRoots::none();
        let check = |roots: &FileRoots, path: &Path| {
            roots.check(path, home.path(), "image file", "the items file's folder")
        };

        assert_eq!(check(&none, &home.path().join("img/../img/a.png")), Ok(()));
        let outside = check(
            &none,
            &home
                .path()
                .join("../")
                .join(elsewhere.path().file_name().unwrap())
                .join("b.png"),
        );
        assert!(
            matches!(&outside, Err(Refusal::Outside(m)) if m.contains("--image-root")),
            "{outside:?}"
        );
        assert!(matches!(
            check(&none, &elsewhere.path().join("b.png")),
            Err(Refusal::Outside(_))
        ));
        assert!(matches!(
            check(&none, &home.path().join("img/missing.png")),
            Err(Refusal::Missing(_))
        ));

        let allowed = FileRoots::new(&[elsewhere.path().to_path_buf()]).unwrap();
        assert_eq!(check(&allowed, &elsewhere.path().join("b.png")), Ok(()));
        assert!(allowed.allows(&elsewhere.path().join("b.png")));
        assert!(!allowed.allows(&home.path().join("img/a.png")));
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_resolved_before_the_check() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("secret.png"), b"x").unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("secret.png"),
            home.path().join("link.png"),
        )
        .unwrap();
        let refused = FileRoots::none().check(
            &home.path().join("link.png"),
            home.path(),
            "image file link.png",
            "the items file's folder",
        );
        assert!(matches!(refused, Err(Refusal::Outside(_))), "{refused:?}");
    }

    #[test]
    fn a_named_root_must_be_an_existing_folder() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("file"), b"x").unwrap();
        assert!(FileRoots::new(&[home.path().join("nope")]).is_err());
        let error = FileRoots::new(&[home.path().join("file")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("must name a folder"), "{error}");
    }
}
