//! moodle-events-gen: writes the artefacts derived from the catalogue.
//!
//! `moodle-events-gen readme [README.md]`  rewrites the README's generated catalogue table.
//! `moodle-events-gen catalogue`           prints the catalogue as Markdown.

use moodle_events::docs;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("readme") => {
            let path = args.get(1).map_or("README.md", String::as_str);
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("moodle-events-gen: cannot read {path}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let Some(fresh) = docs::splice_readme(&text) else {
                eprintln!(
                    "moodle-events-gen: {path} lacks the markers {} … {}",
                    docs::README_START,
                    docs::README_END
                );
                return ExitCode::FAILURE;
            };
            if fresh != text {
                if let Err(e) = std::fs::write(path, fresh) {
                    eprintln!("moodle-events-gen: cannot write {path}: {e}");
                    return ExitCode::FAILURE;
                }
                println!("updated {path}");
            }
            ExitCode::SUCCESS
        }
        Some("catalogue") => {
            print!("{}", docs::catalogue_markdown());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: moodle-events-gen readme [README.md] | catalogue");
            ExitCode::from(2)
        }
    }
}
