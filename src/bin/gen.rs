//! moodle-events-gen: writes the artefacts derived from the catalogue.
//!
//! `moodle-events-gen readme [README.md]`  rewrites the README's generated catalogue table.
//! `moodle-events-gen catalogue`           prints the catalogue as Markdown.
//! `moodle-events-gen bridge [DIR]`        writes the Moodle bridge for local_archiving and
//!                                         every known subplugin into DIR (default `php`).
//! `moodle-events-gen bridge DIR COMPONENT…` writes the bridge of those components only
//!                                         (e.g. `archivingmod_forum`, `archivingstore_s3`).
//! `moodle-events-gen install --moodle DIR [--check|--dry-run] [COMPONENT…]`
//!                                         writes the classes and event tests of every
//!                                         component installed in a Moodle code tree (4.5's
//!                                         root or 5.1's, which has `public/`) and merges
//!                                         their event names into each lang file.
//! `moodle-events-gen install --plugin DIR COMPONENT [--check|--dry-run]`
//!                                         the same into one plugin's own checkout.
//! `moodle-events-gen fuzz-seeds DIR`      writes the fuzz target's seed inputs (a valid
//!                                         `create()` of every catalogue event) into DIR.
//! `moodle-events-gen schema DIR`          writes the JSON Schema (draft 2020-12) of every
//!                                         event's data into DIR, one file per event.
//! `moodle-events-gen bc-check OLD NEW`    lists the breaking and compatible changes between
//!                                         two catalogues; exits 1 on a breaking change the
//!                                         new version does not mark with a major bump.

use moodle_events::{bccheck, bridge, catalogue, docs, install, schema};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("readme") => readme_command(args.get(1).map_or("README.md", String::as_str)),
        Some("fuzz-seeds") if args.len() == 2 => fuzz_seeds_command(std::path::Path::new(&args[1])),
        Some("catalogue") => {
            print!("{}", docs::catalogue_markdown());
            Ok(())
        }
        Some("bridge") => bridge_command(
            args.get(1).map_or(bridge::TREE, String::as_str),
            &args[2.min(args.len())..],
        ),
        Some("install") => return install_command(&args[1..]),
        Some("schema") if args.len() == 2 => return schema_command(std::path::Path::new(&args[1])),
        Some("bc-check") if args.len() == 3 => return bc_check_command(&args[1], &args[2]),
        _ => {
            eprintln!(
                "usage: moodle-events-gen readme [README.md] | catalogue | bridge [DIR [COMPONENT…]] | schema DIR | bc-check OLD.json NEW.json | fuzz-seeds DIR | {}",
                install::USAGE
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moodle-events-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `readme [README.md]`: the catalogue table spliced between its markers.
fn readme_command(path: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let fresh = docs::splice_readme(&text)
        .ok_or_else(|| format!("{path} lacks the markers {} … {}", docs::README_START, docs::README_END))?;
    if fresh != text {
        std::fs::write(path, fresh).map_err(|e| format!("cannot write {path}: {e}"))?;
        println!("updated {path}");
    }
    Ok(())
}

/// `fuzz-seeds DIR`: one input of `fuzzing::one()` per seed (event index, limits byte,
/// JSON).
fn fuzz_seeds_command(dir: &std::path::Path) -> Result<(), String> {
    let names = moodle_events::fuzzing::event_names();
    for (i, (name, data)) in moodle_events::fuzzing::seeds().iter().enumerate() {
        let pick = names.iter().position(|n| n == name).unwrap_or_default() as u8;
        let mut bytes = vec![pick, 0xff];
        bytes.extend_from_slice(data.to_string().as_bytes());
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join(format!("seed-{i:03}")), bytes))
            .map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// `bridge [DIR [COMPONENT…]]`: the generated tree (or those components' files) written
/// where it differs.
fn bridge_command(dir: &str, components: &[String]) -> Result<(), String> {
    let dir = std::path::Path::new(dir);
    let files = if components.is_empty() {
        bridge::known_tree()
    } else {
        let mut files = Vec::new();
        for component in components {
            files.extend(bridge::component_files(component).map_err(|e| e.to_string())?);
        }
        files
    };
    for f in files {
        let path = dir.join(&f.path);
        if std::fs::read_to_string(&path).is_ok_and(|t| t == f.text) {
            continue;
        }
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &f.text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// `install`: see [`install::cli`].
fn install_command(args: &[String]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    ExitCode::from(install::cli(args, &mut out, &mut err))
}

/// `schema DIR`: `DIR/<component pattern>.<event>.schema.json` for every event.
fn schema_command(dir: &std::path::Path) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("moodle-events-gen: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for def in catalogue::definitions() {
        let file = dir.join(format!(
            "{}.{}.schema.json",
            def.family.component_pattern().replace("_<name>", ""),
            def.name
        ));
        let text = match serde_json::to_string_pretty(&schema::json_schema(def)) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("moodle-events-gen: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = std::fs::write(&file, text) {
            eprintln!("moodle-events-gen: cannot write {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", file.display());
    }
    ExitCode::SUCCESS
}

/// `bc-check OLD NEW`: exit 0 when the versions allow the changes, 1 when not, 2 for bad input.
fn bc_check_command(old: &str, new: &str) -> ExitCode {
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let texts = read(old).and_then(|o| read(new).map(|n| (o, n)));
    match texts.and_then(|(o, n)| bccheck::run(&o, &n, old, new)) {
        Ok((report, ok)) => {
            print!("{report}");
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("moodle-events-gen bc-check: {e}");
            ExitCode::from(2)
        }
    }
}
