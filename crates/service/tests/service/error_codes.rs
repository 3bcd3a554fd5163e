//! Every error code written as a literal anywhere in the sources is in the one table (the
//! rest name the table's constants, which the compiler checks).

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The snake_case literals that follow `marker` in `text`.
fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = text[i + marker.len()..].trim_start();
            let rest = rest.strip_prefix('"')?;
            let end = rest.find('"')?;
            let lit = &rest[..end];
            lit.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
                .then_some(lit)
        })
        .collect()
}

#[test]
fn every_literal_code_is_listed() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).expect("crates").flatten() {
        sources(&krate.path().join("src"), &mut files);
    }
    assert!(files.len() > 50, "the sources were found");
    let mut unlisted = Vec::new();
    for file in &files {
        // The white list's screening criteria carry reason codes of their own (what an
        // enterprise lacks), as the engine's rules do: reasons, not errors.
        if file.ends_with("domain/src/whitelist.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("source");
        for marker in ["code: ", "forbidden(", "code == "] {
            for lit in literals_after(&text, marker) {
                if pledge_domain::error_code(lit).is_none() {
                    unlisted.push(format!("{}: {lit}", file.display()));
                }
            }
        }
    }
    assert!(unlisted.is_empty(), "codes not in the table: {unlisted:?}");
}
