//! The layering check: ARCHITECTURE.md's module table lists the library's modules bottom-up,
//! each with the modules it depends on. This test reads every source file of every module
//! (tests included; comments and doc links are not imports) and fails when a module uses
//! one it does not list, lists one it does not use, or depends on one listed below it in the
//! table (a layer that runs back up).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The table rows `(module, depends on)` in the order ARCHITECTURE.md lists them.
fn table(architecture: &str) -> Vec<(String, BTreeSet<String>)> {
    let section = architecture
        .split("## The modules")
        .nth(1)
        .expect("ARCHITECTURE.md has a \"## The modules\" section");
    section
        .lines()
        .skip_while(|l| !l.starts_with("| module |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let module = cells[1].trim_matches('`').to_string();
            let depends = cells[cells.len() - 2];
            let deps = depends
                .split(',')
                .map(|d| d.trim().trim_matches('`').to_string())
                .filter(|d| !d.is_empty() && d != "—")
                .collect();
            (module, deps)
        })
        .collect()
}

/// Every `.rs` file of module `name`: `src/<name>.rs` and everything under `src/<name>/`.
fn files_of(src: &Path, name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = src.join(format!("{name}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut stack = vec![src.join(name)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The modules `text` (Rust source) names as `crate::<module>`, outside comments, with the
/// first line that does so.
fn used_modules(text: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut used = BTreeMap::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        assert!(
            !code.contains("crate::{"),
            "grouped `use crate::{{…}}` hides which modules a file uses; write one path per \
             module: {line}"
        );
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                used.entry(name).or_insert_with(|| line.trim().to_string());
            }
        }
    }
    used
}

#[test]
fn no_module_imports_one_above_it_and_the_table_is_true() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let rows = table(&architecture);
    let modules: BTreeSet<String> = rows.iter().map(|(m, _)| m.clone()).collect();

    // Every module of the library is in the table, and only those.
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    assert_eq!(
        declared, modules,
        "src/lib.rs modules vs ARCHITECTURE.md's table"
    );

    let mut problems = Vec::new();
    for (position, (module, listed)) in rows.iter().enumerate() {
        let below: BTreeSet<&String> = rows[..position].iter().map(|(m, _)| m).collect();
        let mut used = BTreeMap::new();
        for file in files_of(&root.join("src"), module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (name, line) in used_modules(&text, &modules) {
                let shown = format!("{}: {line}", file.strip_prefix(root).unwrap().display());
                used.entry(name).or_insert(shown);
            }
        }
        used.remove(module);
        for (name, at) in &used {
            if !below.contains(name) {
                problems.push(format!("{module} uses {name}, listed above it ({at})"));
            } else if !listed.contains(name) {
                problems.push(format!("{module} uses {name}, not in its row ({at})"));
            }
        }
        for name in listed {
            if !used.contains_key(name) {
                problems.push(format!("{module} lists {name} but does not use it"));
            }
        }
    }
    assert!(problems.is_empty(), "layering:\n{}", problems.join("\n"));
}

/// The check itself: a use above the module or missing from its row is found, comments are
/// not imports.
#[test]
fn the_layering_check_sees_imports_and_skips_comments() {
    let modules: BTreeSet<String> = ["geom", "mesh"].iter().map(|s| s.to_string()).collect();
    let used = used_modules(
        "use crate::geom::Point;\n/// see [`crate::mesh`]\nlet x = 1; // crate::mesh\n",
        &modules,
    );
    assert_eq!(used.keys().collect::<Vec<_>>(), ["geom"]);
    let rows = table(
        "## The modules\n\n| module | owns | depends on |\n| --- | --- | --- |\n| `geom` | points | — |\n| `mesh` | meshes | `geom`, `network` |\n\n",
    );
    assert_eq!(rows[0].0, "geom");
    assert!(rows[0].1.is_empty());
    assert_eq!(rows[1].1.len(), 2);
}
