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
    #[error("{0}: exists and was not written by moodle-events-gen; move it away, or pass --force to replace it")]
    NotOurs(PathBuf),
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
/// `force` replaces files at the generated paths that the generator did not write.
pub fn plan_moodle(dir: &Path, components: &[String], force: bool) -> Result<Plan, InstallError> {
    let root = dirroot(dir)?;
    let (installed, mut skipped) = installed_components(&root);
    let wanted: Vec<String> = if components.is_empty() {
        installed
    } else {
        components.to_vec()
    };
    let mut files = bridge::base_classes();
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
    let changes = changes(&root, files, "", force)?;
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
pub fn plan_plugin(dir: &Path, component: &str, force: bool) -> Result<Plan, InstallError> {
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
        files.splice(0..0, bridge::base_classes());
    }
    let changes = changes(dir, files, &format!("{location}/"), force)?;
    Ok(Plan {
        root: dir.to_path_buf(),
        components: vec![component.to_string()],
        changes,
        skipped: Vec::new(),
    })
}

/// The component whose lang file a generated path is (`<location>/lang/en/<component>.php`).
fn lang_component(path: &str) -> Option<String> {
    let component = path.strip_suffix(".php")?.rsplit_once("/lang/en/")?.1;
    let location = catalogue::location(component)?;
    (path == format!("{location}/lang/en/{component}.php")).then(|| component.to_string())
}

/// Each generated file against the tree: classes and tests as they are, lang fragments
/// merged into the component's lang file. `strip` is the location prefix a plugin checkout
/// lacks. A file at a generated path that the generator did not write is refused unless
/// `force`.
fn changes(root: &Path, files: Vec<File>, strip: &str, force: bool) -> Result<Vec<Change>, InstallError> {
    let mut out = Vec::new();
    for f in files {
        let rel = f.path.strip_prefix(strip).unwrap_or(&f.path).to_string();
        let path = root.join(&rel);
        let old = match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path)(e)),
        };
        if let Some(component) = lang_component(&f.path) {
            let Some(old) = old else {
                return Err(InstallError::BadLang {
                    path,
                    why: "the component's lang file is missing".into(),
                });
            };
            let strings = bridge::lang_entries(&component);
            let (text, merged) = merge_lang(&old, &strings).map_err(|why| InstallError::BadLang {
                path: path.clone(),
                why,
            })?;
            if let Some(why) = php_lint(&old).or_else(|| php_lint(&text)) {
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
                Some(t) if !force && !t.contains(bridge::GENERATED_MARK) => return Err(InstallError::NotOurs(path)),
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

/// Writes every pending change, each file whole (a temporary file beside it, synced and
/// renamed over it, keeping the old file's permissions), telling `written` of each one.
pub fn apply(plan: &Plan, mut written: impl FnMut(&Change)) -> Result<(), InstallError> {
    use std::io::Write as _;
    for c in plan.pending() {
        let dir = c.path.parent().expect("files are below the root");
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let name = c.path.file_name().expect("files have names").to_string_lossy();
        let tmp = dir.join(format!(".{name}.moodle-events-{}", std::process::id()));
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(c.text.as_bytes())?;
            if let Ok(meta) = std::fs::metadata(&c.path) {
                file.set_permissions(meta.permissions())?;
            }
            file.sync_all()?;
            std::fs::rename(&tmp, &c.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(&c.path)(e));
        }
        written(c);
    }
    Ok(())
}

/// How `moodle-events-gen install` is called.
pub const USAGE: &str = "install (--moodle DIR [COMPONENT…] | --plugin DIR COMPONENT) [--check | --dry-run] [--force]";

/// `moodle-events-gen install`: plans, then checks (`--check`: exit 1 when anything is
/// missing or stale), prints the plan (`--dry-run`) or writes it, reporting each file.
/// Exit 0 when done or up to date, 1 for `--check` with work to do, 2 for bad input (and
/// then nothing is written).
pub fn cli(args: &[String], out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> u8 {
    let opts = match CliOptions::parse(args) {
        Ok(o) => o,
        Err(why) => {
            let _ = writeln!(err, "moodle-events-gen: {why}; usage: moodle-events-gen {USAGE}");
            return 2;
        }
    };
    let plan = match opts.target {
        Target::Moodle(dir) => plan_moodle(Path::new(dir), &opts.components, opts.force),
        Target::Plugin(dir, component) => plan_plugin(Path::new(dir), component, opts.force),
    };
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "moodle-events-gen: {e}; nothing was written");
            return 2;
        }
    };
    report(&plan, &opts, out, err)
}

/// Where `install` writes.
enum Target<'a> {
    Moodle(&'a str),
    Plugin(&'a str, &'a str),
}

/// `install`'s command line, checked.
struct CliOptions<'a> {
    target: Target<'a>,
    components: Vec<String>,
    check: bool,
    dry_run: bool,
    force: bool,
}

impl<'a> CliOptions<'a> {
    fn parse(args: &'a [String]) -> Result<Self, String> {
        let (mut moodle, mut plugin) = (None, None);
        let (mut check, mut dry_run, mut force) = (false, false, false);
        let mut components = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--moodle" | "--plugin" => {
                    let dir = it
                        .next()
                        .filter(|d| !d.starts_with("--"))
                        .ok_or_else(|| format!("{a} needs a folder"))?;
                    if a == "--moodle" {
                        moodle = Some(dir.as_str());
                    } else {
                        plugin = Some(dir.as_str());
                    }
                }
                "--check" => check = true,
                "--dry-run" => dry_run = true,
                "--force" => force = true,
                s if s.starts_with("--") => return Err(format!("unknown option {s}")),
                c => components.push(c),
            }
        }
        if check && dry_run {
            return Err("--check and --dry-run exclude each other".into());
        }
        let target = match (moodle, plugin, components.as_slice()) {
            (Some(dir), None, _) => Target::Moodle(dir),
            (None, Some(dir), [component]) => Target::Plugin(dir, component),
            (None, Some(_), _) => return Err("--plugin takes exactly one component".into()),
            _ => return Err("give --moodle DIR or --plugin DIR COMPONENT".into()),
        };
        let components = components.iter().map(|c| c.to_string()).collect();
        Ok(CliOptions {
            target,
            components,
            check,
            dry_run,
            force,
        })
    }
}

/// What `install` did (or, with --check or --dry-run, would do); its exit code.
fn report(plan: &Plan, opts: &CliOptions<'_>, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> u8 {
    let _ = writeln!(out, "{}: {}", plan.root.display(), plan.components.join(", "));
    for s in &plan.skipped {
        let _ = writeln!(out, "skipped {s}");
    }
    let describe = |c: &Change| match (c.merged, c.state) {
        (Some(n), _) => format!("{n} event strings into {}", c.path.display()),
        (None, State::Missing) => format!("{} (new)", c.path.display()),
        (None, _) => format!("{} (stale)", c.path.display()),
    };
    let pending = plan.pending().count();
    let fresh = plan.changes.len() - pending;
    if opts.check {
        for c in plan.pending() {
            let what = match (c.merged, c.state) {
                (Some(_), _) => "lang strings missing or stale in",
                (None, State::Missing) => "missing:",
                (None, _) => "stale:",
            };
            let _ = writeln!(out, "{what} {}", c.path.display());
        }
        let _ = writeln!(out, "{fresh} of {} files up to date", plan.changes.len());
        return u8::from(pending > 0);
    }
    if opts.dry_run {
        for c in plan.pending() {
            let _ = writeln!(out, "would write {}", describe(c));
        }
        let _ = writeln!(out, "{fresh} files already up to date; nothing written (--dry-run)");
        return 0;
    }
    let result = apply(plan, |c| {
        let _ = writeln!(out, "wrote {}", describe(c));
    });
    if let Err(e) = result {
        let _ = writeln!(err, "moodle-events-gen: {e} (the files listed above were written)");
        return 2;
    }
    let _ = writeln!(out, "{pending} files written, {fresh} already up to date");
    0
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

/// A `$string['id'] = …;` statement of a lang file: its key, byte span and the span of
/// its value expression.
#[derive(Debug)]
struct Statement {
    key: String,
    start: usize,
    end: usize,
    value: std::ops::Range<usize>,
}

/// The top-level `$string[...]` statements of a lang file, skipping comments and strings;
/// an unterminated string or comment, a heredoc, or a statement it cannot read is an error.
fn lang_statements(text: &str) -> Result<Vec<Statement>, String> {
    if !text.trim_start().starts_with("<?php") {
        return Err("it does not start with <?php".into());
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => i = skip_quoted(b, i)?,
            b'#' => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'/') => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .ok_or_else(|| format!("a comment opened at byte {i} is never closed"))?;
            }
            b'<' if is_heredoc(text, i) => {
                return Err("heredoc and nowdoc strings are not supported in lang files here".into())
            }
            b'$' if text[i..].starts_with("$string")
                && !b.get(i + 7).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                match string_statement(text, i)? {
                    Ok(statement) => {
                        i = statement.end;
                        out.push(statement);
                    }
                    Err(next) => i = next,
                }
            }
            _ => i += 1,
        }
    }
    Ok(out)
}

/// Skips a quoted string starting at `i` (the quote); returns the index after it.
fn skip_quoted(b: &[u8], i: usize) -> Result<usize, String> {
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
}

fn is_heredoc(text: &str, i: usize) -> bool {
    text[i..].starts_with("<<<")
}

/// The index of the first byte at or after `j` that is not white space.
fn skip_space(b: &[u8], mut j: usize) -> usize {
    while b.get(j).is_some_and(u8::is_ascii_whitespace) {
        j += 1;
    }
    j
}

/// The `$string['key'] = value;` statement at `start`; `Err(next)` (inside Ok) when
/// `$string` is not indexed there, to go on scanning at `next`.
fn string_statement(text: &str, start: usize) -> Result<Result<Statement, usize>, String> {
    let b = text.as_bytes();
    let j = skip_space(b, start + "$string".len());
    if b.get(j) != Some(&b'[') {
        return Ok(Err(j));
    }
    let j = skip_space(b, j + 1);
    if !matches!(b.get(j), Some(b'\'' | b'"')) {
        return Err(format!("the $string key at byte {start} is not a quoted string"));
    }
    let after = skip_quoted(b, j)?;
    let key = decode_literal(&text[j..after])
        .ok_or_else(|| format!("the $string key at byte {start} is not a plain string"))?;
    // `] =`, then the value up to the first `;` outside strings.
    let not_assignment = || format!("the $string['{key}'] statement is not an assignment");
    let k = skip_space(b, after);
    if b.get(k) != Some(&b']') {
        return Err(not_assignment());
    }
    let k = skip_space(b, k + 1);
    if b.get(k) != Some(&b'=') || b.get(k + 1) == Some(&b'=') {
        return Err(not_assignment());
    }
    let value_start = k + 1;
    let mut k = value_start;
    loop {
        match b.get(k) {
            None => return Err(format!("the $string['{key}'] statement has no closing ;")),
            Some(b'\'' | b'"') => k = skip_quoted(b, k)?,
            Some(b'<') if is_heredoc(text, k) => {
                return Err(format!(
                    "the $string['{key}'] value is a heredoc, which is not supported here"
                ))
            }
            Some(b';') => break,
            Some(_) => k += 1,
        }
    }
    Ok(Ok(Statement {
        key,
        start,
        end: k + 1,
        value: value_start..k,
    }))
}

/// The value of a PHP string literal (single-quoted, or double-quoted without variables),
/// or None for any other expression.
fn decode_literal(expr: &str) -> Option<String> {
    let expr = expr.trim();
    let (quote, inner) = match expr.as_bytes().first()? {
        b'\'' => ('\'', expr.strip_prefix('\'')?.strip_suffix('\'')?),
        b'"' => ('"', expr.strip_prefix('"')?.strip_suffix('"')?),
        _ => return None,
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            ('"', '$') => return None,
            (_, '\\') => match (quote, chars.next()) {
                ('\'', Some(e @ ('\\' | '\''))) | ('"', Some(e @ ('\\' | '"' | '$'))) => out.push(e),
                ('"', Some('n')) => out.push('\n'),
                ('"', Some('t')) => out.push('\t'),
                ('\'', Some(e)) => {
                    out.push('\\');
                    out.push(e);
                }
                ('\'', None) => out.push('\\'),
                _ => return None,
            },
            (_, c) if c == quote => return None,
            (_, c) => out.push(c),
        }
    }
    Some(out)
}

/// Merges our strings into a lang file's text: a string already there with another value
/// is replaced in place; a new one goes after the string whose key is the greatest below
/// it (else before the least above it, else after the last one), on its own line, with the
/// file's line ending. Nothing else is touched. Returns the text and how many strings were
/// added or replaced.
pub fn merge_lang(text: &str, strings: &[(String, String)]) -> Result<(String, usize), String> {
    let mut text = text.to_string();
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut changed = 0;
    for (key, value) in strings {
        let line = format!("$string[{}] = {};", bridge::sq(key), bridge::sq(value));
        let statements = lang_statements(&text)?;
        if let Some(s) = statements.iter().find(|s| &s.key == key) {
            if decode_literal(&text[s.value.clone()]).as_deref() != Some(value.as_str()) {
                text.replace_range(s.start..s.end, &line);
                changed += 1;
            }
            continue;
        }
        changed += 1;
        let before = statements
            .iter()
            .filter(|s| s.key.as_str() < key.as_str())
            .max_by(|a, b| a.key.cmp(&b.key));
        let after = statements
            .iter()
            .filter(|s| s.key.as_str() > key.as_str())
            .min_by(|a, b| a.key.cmp(&b.key));
        let line_end = |at: usize| text[at..].find('\n').map(|n| at + n + 1);
        let (at, insert) = if let Some(s) = before {
            // After its predecessor: at the end of that line when nothing else is on it.
            match line_end(s.end) {
                Some(end) if text[s.end..end].trim().is_empty() => (end, format!("{line}{eol}")),
                _ => (s.end, format!("{eol}{line}")),
            }
        } else if let Some(s) = after {
            // Before its successor: at the start of that line when nothing is before it.
            let line_start = text[..s.start].rfind('\n').map_or(0, |n| n + 1);
            if text[line_start..s.start].trim().is_empty() {
                (line_start, format!("{line}{eol}"))
            } else {
                (s.start, format!("{line}{eol}"))
            }
        } else {
            let sep = if text.ends_with('\n') { "" } else { eol };
            (text.len(), format!("{sep}{line}{eol}"))
        };
        text.insert_str(at, &insert);
    }
    Ok((text, changed))
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

    /// Runs the CLI; returns its exit code and what it printed.
    fn cli_run(args: &[&str]) -> (u8, String, String) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = cli(&args, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    fn s(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn merging_sorts_in_and_is_idempotent() {
        let strings = s(&[
            ("eventarchivejobcreated", "Archive job created"),
            ("pluginname", "Archiving"),
            ("zzzz", "It's last"),
        ]);
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

    /// As local_archiving's own files: pluginname first, then the rest sorted, sections.
    #[test]
    fn new_strings_go_after_their_predecessor() {
        let text = "<?php\n$string['pluginname'] = 'Archiving';\n\n// Section.\n$string['archive'] = 'Archive';\n$string['error'] = 'Error';\n$string['job'] = 'Job';\n";
        let (merged, n) = merge_lang(text, &s(&[("eventb", "B"), ("eventa", "A"), ("aaa", "First")])).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            merged,
            "<?php\n$string['pluginname'] = 'Archiving';\n\n// Section.\n$string['aaa'] = 'First';\n$string['archive'] = 'Archive';\n$string['error'] = 'Error';\n$string['eventa'] = 'A';\n$string['eventb'] = 'B';\n$string['job'] = 'Job';\n"
        );
    }

    #[test]
    fn line_endings_spacing_and_quoting_are_respected() {
        // CRLF stays CRLF.
        let crlf = "<?php\r\n$string['a'] = 'A';\r\n$string['c'] = 'C';\r\n";
        let (merged, _) = merge_lang(crlf, &s(&[("b", "B")])).unwrap();
        assert_eq!(
            merged,
            "<?php\r\n$string['a'] = 'A';\r\n$string['b'] = 'B';\r\n$string['c'] = 'C';\r\n"
        );
        // No newline at the end of the file.
        let (merged, _) = merge_lang("<?php\n$string['a'] = 'A';", &s(&[("b", "B")])).unwrap();
        assert_eq!(merged, "<?php\n$string['a'] = 'A';\n$string['b'] = 'B';");
        // The same value written otherwise is left alone; a spaced key is found.
        let text = "<?php\n$string [ \"b\" ] = \"It's B\";\n$string['q\\'k'] = 'x';\n";
        assert_eq!(merge_lang(text, &s(&[("b", "It's B")])).unwrap(), (text.to_string(), 0));
        let (merged, n) = merge_lang(text, &s(&[("q'k", "y")])).unwrap();
        assert_eq!(
            (merged.as_str(), n),
            ("<?php\n$string [ \"b\" ] = \"It's B\";\n$string['q\\'k'] = 'y';\n", 1)
        );
        // Two statements on one line with the new one between them.
        let (merged, _) = merge_lang("<?php $string['a'] = 'A'; $string['c'] = 'C';\n", &s(&[("b", "B")])).unwrap();
        assert_eq!(
            merged,
            "<?php $string['a'] = 'A';\n$string['b'] = 'B'; $string['c'] = 'C';\n"
        );
    }

    #[test]
    fn unparsable_lang_files_are_refused() {
        let one = s(&[("a", "b")]);
        assert!(merge_lang("<?php\n$string['x'] = 'open;\n", &one)
            .unwrap_err()
            .contains("never closed"));
        assert!(merge_lang("<?php\n/* open\n", &one)
            .unwrap_err()
            .contains("never closed"));
        assert!(merge_lang("no php\n", &one).unwrap_err().contains("<?php"));
        assert!(merge_lang("<?php\n$string['x'] = 'y'\n", &one)
            .unwrap_err()
            .contains("no closing ;"));
        assert!(merge_lang("<?php\n$string['x'] = <<<EOT\n;\nEOT;\n", &one)
            .unwrap_err()
            .contains("heredoc"));
    }

    #[test]
    fn installs_what_is_there_and_never_makes_a_plugin_folder() {
        for v51 in [false, true] {
            let (top, root) = moodle(if v51 { "m51" } else { "m45" }, v51);
            let plan = plan_moodle(&top, &[], false).unwrap();
            assert_eq!(plan.root, root);
            assert_eq!(plan.components, ["local_archiving", "archivingmod_quiz"]);
            assert!(plan
                .skipped
                .iter()
                .any(|s| s.starts_with("archivingmod_assign: not installed")));
            apply(&plan, |_| {}).unwrap();
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
            assert_eq!(plan_moodle(&top, &[], false).unwrap().pending().count(), 0);
        }
    }

    #[test]
    fn bad_input_writes_nothing() {
        let (top, root) = moodle("bad", false);
        let top_s = top.to_str().unwrap();
        let (code, _, err) = cli_run(&["--moodle", root.join("local").to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(err.contains("not a Moodle code tree"), "{err}");
        let (code, _, err) = cli_run(&["--moodle", top_s, "archivingmod_assign"]);
        assert_eq!(code, 2);
        assert!(err.contains("archivingmod_assign: not installed"), "{err}");
        let (code, _, err) = cli_run(&["--moodle", top_s, "mod_quiz"]);
        assert_eq!(code, 2);
        assert!(err.contains("mod_quiz: not a component"), "{err}");
        let (code, _, err) = cli_run(&["--moodle", "--check"]);
        assert_eq!((code, err.contains("--moodle needs a folder")), (2, true), "{err}");
        let (code, _, _) = cli_run(&["--moodle", top_s, "--check", "--dry-run"]);
        assert_eq!(code, 2);
        let quiz_lang = root.join("local/archiving/driver/mod/quiz/lang/en/archivingmod_quiz.php");
        write(&quiz_lang, "<?php\n$string['x'] = 'open;\n");
        let (code, _, err) = cli_run(&["--moodle", top_s]);
        assert_eq!(code, 2);
        assert!(
            err.contains("cannot merge the lang strings") && err.contains("nothing was written"),
            "{err}"
        );
        assert!(
            !root.join("local/archiving/classes/event").exists(),
            "nothing was written"
        );
        // A file at a generated path that the generator did not write is kept, unless --force.
        write(&quiz_lang, LANG);
        let own = root.join("local/archiving/driver/mod/quiz/classes/event/task_created.php");
        write(&own, "<?php\n// The plugin's own class.\n");
        let (code, _, err) = cli_run(&["--moodle", top_s]);
        assert_eq!(code, 2);
        assert!(err.contains("was not written by moodle-events-gen"), "{err}");
        assert!(
            !root.join("local/archiving/classes/event").exists(),
            "nothing was written"
        );
        assert_eq!(cli_run(&["--moodle", top_s, "--force"]).0, 0);
        assert!(std::fs::read_to_string(&own).unwrap().contains("class task_created"));
    }

    #[test]
    fn check_and_dry_run_tell_without_writing() {
        let (top, root) = moodle("check", true);
        let top_s = top.to_str().unwrap();
        let (code, out, _) = cli_run(&["--moodle", top_s, "--dry-run"]);
        assert_eq!(code, 0);
        assert!(
            out.contains("would write ") && out.contains("task_created.php (new)"),
            "{out}"
        );
        assert!(!root.join("local/archiving/classes/event").exists());
        let (code, out, _) = cli_run(&["--moodle", top_s, "--check"]);
        assert_eq!(code, 1);
        assert!(
            out.contains("missing: ") && out.contains("lang strings missing or stale in"),
            "{out}"
        );
        let (code, out, _) = cli_run(&["--moodle", top_s]);
        assert_eq!(code, 0);
        assert!(
            out.contains("wrote ") && out.contains("skipped archivingmod_assign"),
            "{out}"
        );
        let (code, out, _) = cli_run(&["--moodle", top_s, "--check"]);
        assert_eq!(code, 0, "{out}");
        let stale = root.join("local/archiving/classes/event/archive_job_failed.php");
        let text = std::fs::read_to_string(&stale).unwrap();
        std::fs::write(&stale, text.replace("'u'", "'c'")).unwrap();
        let (code, out, _) = cli_run(&["--moodle", top_s, "--check"]);
        assert_eq!(code, 1);
        assert!(
            out.contains("stale: ") && out.contains("archive_job_failed.php"),
            "{out}"
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
            plan_plugin(&dir, "archivingmod_s3", false),
            Err(InstallError::WrongPlugin { .. })
        ));
        let plan = plan_plugin(&dir, "archivingstore_s3", false).unwrap();
        apply(&plan, |_| {}).unwrap();
        assert!(dir.join("classes/event/write_task_completed.php").is_file());
        assert!(dir.join("tests/event/events_test.php").is_file());
        let lang = std::fs::read_to_string(dir.join("lang/en/archivingstore_s3.php")).unwrap();
        assert!(lang.contains("$string['pluginname'] = 'Archiving';") && lang.contains("$string['aaa'] = 'A';"));
        assert!(lang.contains("$string['eventwritetaskcompleted'] = 'Storage write task completed';"));
        assert_eq!(
            plan_plugin(&dir, "archivingstore_s3", false).unwrap().pending().count(),
            0
        );
    }
}
