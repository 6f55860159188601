//! The installer (`moodle-events-gen install`): writes the generated bridge of every
//! component a Moodle code tree has, or of one plugin's own checkout, and merges the event
//! names into each component's own lang file.
//!
//! Everything is planned and checked first (the tree is Moodle, each component's plugin
//! folder exists with a `version.php`, each lang file parses); only then are files written,
//! each whole (a temporary file renamed over the old one). A plugin folder is never made.
#![allow(
    clippy::expect_used,
    reason = "generator code: run by moodle-events-gen, never from PHP"
)]

use crate::bridge::{self, BridgeError, File};
use crate::catalogue::{self, ComponentRule};
use std::path::{Path, PathBuf};

/// Why nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}: not a Moodle code tree (no lib/setup.php and version.php in it or in its public/)")]
    NotMoodle(PathBuf),
    #[error("{0}")]
    Component(#[from] BridgeError),
    #[error("{component}: not installed in {root} (no {dir}/version.php); install the plugin first")]
    NotInstalled {
        component: String,
        root: PathBuf,
        dir: String,
    },
    #[error(
        "{path}: not the plugin {component} (its version.php does not declare $plugin->component = '{component}')"
    )]
    WrongPlugin { path: PathBuf, component: String },
    #[error("{path}: cannot merge the lang strings: {why}")]
    BadLang { path: PathBuf, why: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A file's state against what the installer would write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Missing,
    Stale,
    Fresh,
}

/// One file the installer owns (a class, a test) or merges into (a lang file).
#[derive(Debug)]
pub struct Change {
    pub path: PathBuf,
    pub text: String,
    pub state: State,
    /// Lang files: how many of our strings were added or replaced.
    pub merged: Option<usize>,
}

/// What an install would do.
#[derive(Debug)]
pub struct Plan {
    /// The Moodle dirroot (4.5's root, 5.1's `public/`) or the plugin's folder.
    pub root: PathBuf,
    pub components: Vec<String>,
    pub changes: Vec<Change>,
    /// Components of the catalogue not installed there, with why.
    pub skipped: Vec<String>,
}

impl Plan {
    pub fn pending(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.state != State::Fresh)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Moodle's dirroot below `dir`: `dir` itself (4.5, or 5.1's `public/` named directly) or
/// `dir/public` (5.1's root).
pub fn dirroot(dir: &Path) -> Result<PathBuf, InstallError> {
    let is_root = |d: &Path| d.join("lib/setup.php").is_file() && d.join("version.php").is_file();
    if is_root(&dir.join("public")) {
        Ok(dir.join("public"))
    } else if is_root(dir) {
        Ok(dir.to_path_buf())
    } else {
        Err(InstallError::NotMoodle(dir.to_path_buf()))
    }
}

/// Every component of the catalogue's families that `root` has installed: local_archiving
/// and each subplugin folder with a `version.php` (known or not), plus the known ones it
/// lacks, as skipped.
fn installed_components(root: &Path) -> (Vec<String>, Vec<String>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for family in catalogue::FAMILIES {
        match family.component {
            ComponentRule::Fixed(c) => {
                if !found.iter().any(|f: &String| f == c) {
                    found.push(c.to_string());
                }
            }
            ComponentRule::Subplugin(kind) => {
                let probe = format!("{kind}_probe");
                let Some(parent) =
                    catalogue::location(&probe).and_then(|l| l.strip_suffix("/probe").map(str::to_string))
                else {
                    continue;
                };
                let mut names: Vec<String> = std::fs::read_dir(root.join(&parent))
                    .map(|entries| {
                        entries
                            .filter_map(Result::ok)
                            .filter(|e| e.path().join("version.php").is_file())
                            .filter_map(|e| e.file_name().into_string().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                names.sort();
                for name in names {
                    let component = format!("{kind}_{name}");
                    if catalogue::location(&component).is_some() && !found.contains(&component) {
                        found.push(component);
                    }
                }
                for component in family.known_components() {
                    if !found.contains(&component) && !skipped.contains(&component) {
                        skipped.push(component);
                    }
                }
            }
        }
    }
    (found, skipped)
}

/// The plan for a Moodle code tree: `components`, or every installed one when empty.
pub fn plan_moodle(dir: &Path, components: &[String]) -> Result<Plan, InstallError> {
    let root = dirroot(dir)?;
    let (installed, mut skipped) = installed_components(&root);
    let wanted: Vec<String> = if components.is_empty() {
        installed
    } else {
        components.to_vec()
    };
    let mut files = vec![bridge::base_class()];
    for component in &wanted {
        let location =
            catalogue::location(component).ok_or_else(|| BridgeError::UnknownComponent(component.clone()))?;
        if !root.join(&location).join("version.php").is_file() {
            return Err(InstallError::NotInstalled {
                component: component.clone(),
                root: root.clone(),
                dir: location,
            });
        }
        files.extend(bridge::component_files(component)?);
    }
    skipped.retain(|c| !wanted.contains(c));
    let changes = changes(&root, files, "")?;
    Ok(Plan {
        root,
        components: wanted,
        changes,
        skipped: skipped
            .into_iter()
            .map(|c| format!("{c}: not installed here (no plugin folder with a version.php)"))
            .collect(),
    })
}

/// The plan for one plugin's own checkout (`dir` holds its `version.php`).
pub fn plan_plugin(dir: &Path, component: &str) -> Result<Plan, InstallError> {
    let location =
        catalogue::location(component).ok_or_else(|| BridgeError::UnknownComponent(component.to_string()))?;
    let version = dir.join("version.php");
    let text = std::fs::read_to_string(&version).map_err(io(&version))?;
    let declares = text.lines().any(|l| {
        let l = l.replace(' ', "");
        l.starts_with("$plugin->component=")
            && (l.contains(&format!("'{component}'")) || l.contains(&format!("\"{component}\"")))
    });
    if !declares {
        return Err(InstallError::WrongPlugin {
            path: dir.to_path_buf(),
            component: component.to_string(),
        });
    }
    let mut files = bridge::component_files(component)?;
    if component == "local_archiving" {
        files.insert(0, bridge::base_class());
    }
    let changes = changes(dir, files, &format!("{location}/"))?;
    Ok(Plan {
        root: dir.to_path_buf(),
        components: vec![component.to_string()],
        changes,
        skipped: Vec::new(),
    })
}

/// Each generated file against the tree: classes and tests as they are, lang fragments
/// merged into the component's lang file. `strip` is the location prefix a plugin checkout
/// lacks.
fn changes(root: &Path, files: Vec<File>, strip: &str) -> Result<Vec<Change>, InstallError> {
    let mut out = Vec::new();
    for f in files {
        let rel = f.path.strip_prefix(strip).unwrap_or(&f.path).to_string();
        let path = root.join(&rel);
        let old = match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path)(e)),
        };
        if rel.contains("/lang/") {
            let Some(old) = old else {
                return Err(InstallError::BadLang {
                    path,
                    why: "the component's lang file is missing".into(),
                });
            };
            let component = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let strings = bridge::lang_entries(&component);
            let (text, merged) = merge_lang(&old, &strings).map_err(|why| InstallError::BadLang {
                path: path.clone(),
                why,
            })?;
            if let Some(why) = php_lint(&text) {
                return Err(InstallError::BadLang { path, why });
            }
            let state = if text == old { State::Fresh } else { State::Stale };
            out.push(Change {
                path,
                text,
                state,
                merged: Some(merged),
            });
        } else {
            let state = match old {
                None => State::Missing,
                Some(t) if t == f.text => State::Fresh,
                Some(_) => State::Stale,
            };
            out.push(Change {
                path,
                text: f.text,
                state,
                merged: None,
            });
        }
    }
    Ok(out)
}

/// Writes every pending change, each file whole: a temporary file beside it, renamed over it.
pub fn apply(plan: &Plan) -> Result<(), InstallError> {
    for c in plan.pending() {
        let dir = c.path.parent().expect("files are below the root");
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let name = c.path.file_name().expect("files have names").to_string_lossy();
        let tmp = dir.join(format!(".{name}.moodle-events-{}", std::process::id()));
        std::fs::write(&tmp, &c.text).map_err(io(&tmp))?;
        if let Err(e) = std::fs::rename(&tmp, &c.path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(&c.path)(e));
        }
    }
    Ok(())
}

/// `php -l` on a text, when PHP is there: what it says when it cannot parse the text.
fn php_lint(text: &str) -> Option<String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("php")
        .args(["-n", "-l"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let _ = child.stdin.take().map(|mut s| s.write_all(text.as_bytes()));
    let out = child.wait_with_output().ok()?;
    if out.status.success() {
        return None;
    }
    let said = String::from_utf8_lossy(&out.stdout)
        .trim()
        .replace("in Standard input code", "")
        .to_string();
    Some(format!("PHP cannot parse it: {said}"))
}

/// A `$string['id'] = …;` statement of a lang file: its key and byte span.
#[derive(Debug)]
struct Statement {
    key: String,
    start: usize,
    end: usize,
}

/// The top-level `$string[...]` statements of a lang file, skipping comments and strings;
/// an unterminated string or comment is an error.
fn lang_statements(text: &str) -> Result<Vec<Statement>, String> {
    if !text.trim_start().starts_with("<?php") {
        return Err("it does not start with <?php".into());
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Skips a quoted string starting at `i` (the quote); returns the index after it.
    let skip_quoted = |i: usize| -> Result<usize, String> {
        let q = b[i];
        let mut j = i + 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                c if c == q => return Ok(j + 1),
                _ => j += 1,
            }
        }
        Err(format!("a string opened at byte {i} is never closed"))
    };
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => i = skip_quoted(i)?,
            b'#' => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'/') => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .ok_or_else(|| format!("a comment opened at byte {i} is never closed"))?;
            }
            b'<' if text[i..].starts_with("<<<") && !text[i..].starts_with("<<<php") => {
                return Err("heredoc strings are not supported in lang files here".into());
            }
            b'$' if text[i..].starts_with("$string[") => {
                let start = i;
                let mut j = i + "$string[".len();
                while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                if !matches!(b.get(j), Some(b'\'' | b'"')) {
                    return Err(format!("the $string key at byte {start} is not a quoted string"));
                }
                let after = skip_quoted(j)?;
                let key = text[j + 1..after - 1].to_string();
                // The statement ends at the first `;` outside strings.
                let mut k = after;
                loop {
                    match b.get(k) {
                        None => return Err(format!("the $string['{key}'] statement has no closing ;")),
                        Some(b'\'' | b'"') => k = skip_quoted(k)?,
                        Some(b';') => break,
                        Some(_) => k += 1,
                    }
                }
                out.push(Statement { key, start, end: k + 1 });
                i = k + 1;
            }
            _ => i += 1,
        }
    }
    Ok(out)
}

/// Merges our strings into a lang file's text: a string already there with another value
/// is replaced in place, a new one goes before the first existing string whose key sorts
/// after it (or after the last one). Nothing else is touched. Returns the text and how many
/// strings were added or replaced.
pub fn merge_lang(text: &str, strings: &[(String, String)]) -> Result<(String, usize), String> {
    let mut text = text.to_string();
    let mut changed = 0;
    for (key, value) in strings {
        let line = format!("$string['{key}'] = {};", php_sq(value));
        let statements = lang_statements(&text)?;
        if let Some(s) = statements.iter().find(|s| &s.key == key) {
            if text[s.start..s.end] != line {
                text.replace_range(s.start..s.end, &line);
                changed += 1;
            }
            continue;
        }
        changed += 1;
        let at = match statements.iter().find(|s| s.key.as_str() > key.as_str()) {
            Some(s) => text[..s.start].rfind('\n').map_or(0, |n| n + 1),
            None => match statements.last() {
                Some(s) => text[s.end..].find('\n').map_or(text.len(), |n| s.end + n + 1),
                None => text.len(),
            },
        };
        let mut insert = format!("{line}\n");
        if at == text.len() && !text.ends_with('\n') {
            insert.insert(0, '\n');
        }
        text.insert_str(at, &insert);
    }
    Ok((text, changed))
}

/// A PHP single-quoted string literal.
fn php_sq(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh scratch folder under the target directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/install-tests")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const LANG: &str = "<?php\n// header\n\ndefined('MOODLE_INTERNAL') || die();\n\n$string['aaa'] = 'A';\n$string['pluginname'] = 'Archiving';\n$string['zzz'] = 'Z; with \\'quotes\\'';\n";

    /// A Moodle tree (`public/` when `v51`) with local_archiving and the quiz driver only.
    fn moodle(name: &str, v51: bool) -> (PathBuf, PathBuf) {
        let top = scratch(name);
        let root = if v51 { top.join("public") } else { top.clone() };
        write(&root.join("lib/setup.php"), "<?php\n");
        write(&root.join("version.php"), "<?php\n");
        write(
            &root.join("local/archiving/version.php"),
            "<?php\n$plugin->component = 'local_archiving';\n",
        );
        write(&root.join("local/archiving/lang/en/local_archiving.php"), LANG);
        let quiz = root.join("local/archiving/driver/mod/quiz");
        write(
            &quiz.join("version.php"),
            "<?php\n$plugin->component = 'archivingmod_quiz';\n",
        );
        write(&quiz.join("lang/en/archivingmod_quiz.php"), LANG);
        (top, root)
    }

    #[test]
    fn merging_sorts_in_and_is_idempotent() {
        let strings = vec![
            ("eventarchivejobcreated".to_string(), "Archive job created".to_string()),
            ("pluginname".to_string(), "Archiving".to_string()),
            ("zzzz".to_string(), "It's last".to_string()),
        ];
        let (once, n) = merge_lang(LANG, &strings).unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            once,
            "<?php\n// header\n\ndefined('MOODLE_INTERNAL') || die();\n\n$string['aaa'] = 'A';\n$string['eventarchivejobcreated'] = 'Archive job created';\n$string['pluginname'] = 'Archiving';\n$string['zzz'] = 'Z; with \\'quotes\\'';\n$string['zzzz'] = 'It\\'s last';\n"
        );
        assert_eq!(merge_lang(&once, &strings).unwrap(), (once.clone(), 0));
        let stale = once.replace("'Archive job created'", "'Old name'");
        assert_eq!(merge_lang(&stale, &strings).unwrap(), (once, 1));
    }

    #[test]
    fn unparsable_lang_files_are_refused() {
        let s = vec![("a".to_string(), "b".to_string())];
        assert!(merge_lang("<?php\n$string['x'] = 'open;\n", &s)
            .unwrap_err()
            .contains("never closed"));
        assert!(merge_lang("<?php\n/* open\n", &s).unwrap_err().contains("never closed"));
        assert!(merge_lang("no php\n", &s).unwrap_err().contains("<?php"));
        assert!(merge_lang("<?php\n$string['x'] = 'y'\n", &s)
            .unwrap_err()
            .contains("no closing ;"));
    }

    #[test]
    fn installs_what_is_there_and_never_makes_a_plugin_folder() {
        for v51 in [false, true] {
            let (top, root) = moodle(if v51 { "m51" } else { "m45" }, v51);
            let plan = plan_moodle(&top, &[]).unwrap();
            assert_eq!(plan.root, root);
            assert_eq!(plan.components, ["local_archiving", "archivingmod_quiz"]);
            assert!(plan
                .skipped
                .iter()
                .any(|s| s.starts_with("archivingmod_assign: not installed")));
            apply(&plan).unwrap();
            assert!(root
                .join("local/archiving/classes/event/archiving_event_base.php")
                .is_file());
            assert!(root
                .join("local/archiving/driver/mod/quiz/classes/event/task_created.php")
                .is_file());
            assert!(root
                .join("local/archiving/driver/mod/quiz/tests/event/events_test.php")
                .is_file());
            assert!(!root.join("local/archiving/driver/mod/assign").exists());
            assert!(!root.join("local/archiving/driver/store").exists());
            let lang =
                std::fs::read_to_string(root.join("local/archiving/driver/mod/quiz/lang/en/archivingmod_quiz.php"))
                    .unwrap();
            assert!(lang.contains(
                "$string['eventtaskcreated'] = 'Activity archiving task created';\n$string['eventtaskfailed']"
            ));
            assert!(lang.starts_with("<?php\n// header\n"));
            // A second run has nothing to do.
            assert_eq!(plan_moodle(&top, &[]).unwrap().pending().count(), 0);
        }
    }

    #[test]
    fn bad_input_writes_nothing() {
        let (top, root) = moodle("bad", false);
        assert!(matches!(
            plan_moodle(&root.join("local"), &[]),
            Err(InstallError::NotMoodle(_))
        ));
        let err = plan_moodle(&top, &["archivingmod_assign".into()]).unwrap_err();
        assert!(err.to_string().contains("archivingmod_assign: not installed"), "{err}");
        let err = plan_moodle(&top, &["mod_quiz".into()]).unwrap_err();
        assert!(err.to_string().starts_with("mod_quiz: not a component"), "{err}");
        write(
            &root.join("local/archiving/driver/mod/quiz/lang/en/archivingmod_quiz.php"),
            "<?php\n$string['x'] = 'open;\n",
        );
        let err = plan_moodle(&top, &[]).unwrap_err();
        assert!(err.to_string().contains("cannot merge the lang strings"), "{err}");
        assert!(
            !root.join("local/archiving/classes/event").exists(),
            "nothing was written"
        );
    }

    #[test]
    fn a_plugin_checkout_gets_its_own_files() {
        let dir = scratch("plugin");
        write(
            &dir.join("version.php"),
            "<?php\n$plugin->component = 'archivingstore_s3';\n",
        );
        write(&dir.join("lang/en/archivingstore_s3.php"), LANG);
        assert!(matches!(
            plan_plugin(&dir, "archivingmod_s3"),
            Err(InstallError::WrongPlugin { .. })
        ));
        let plan = plan_plugin(&dir, "archivingstore_s3").unwrap();
        apply(&plan).unwrap();
        assert!(dir.join("classes/event/write_task_completed.php").is_file());
        assert!(dir.join("tests/event/events_test.php").is_file());
        assert_eq!(plan_plugin(&dir, "archivingstore_s3").unwrap().pending().count(), 0);
    }
}
