//! Embeds every file under `data/criteria/` so that the binary carries the shipped criteria and
//! a new version directory is picked up without touching code.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/criteria");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut versions: Vec<_> = std::fs::read_dir(&root)
        .expect("data/criteria is missing")
        .map(|entry| entry.expect("unreadable entry").path())
        .filter(|path| path.is_dir())
        .collect();
    versions.sort();
    let mut code = String::from("pub(crate) static BUNDLED: &[(&str, &[(&str, &str)])] = &[\n");
    for dir in versions {
        println!("cargo:rerun-if-changed={}", dir.display());
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = Vec::new();
        collect(&dir, &dir, &mut files);
        files.sort();
        writeln!(code, "    ({name:?}, &[").unwrap();
        for (relative, absolute) in files {
            println!("cargo:rerun-if-changed={absolute}");
            writeln!(code, "        ({relative:?}, include_str!({absolute:?})),").unwrap();
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("bundled_criteria.rs");
    std::fs::write(out, code).unwrap();
}

fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(base, &path, files);
        } else {
            let relative = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let absolute = path.canonicalize().unwrap().to_string_lossy().into_owned();
            files.push((relative, absolute));
        }
    }
}
