//! Every input of every fuzz target's corpus (`fuzz/corpus/TARGET/`) and every input that
//! ever crashed a target (`fuzz/regressions/TARGET/`), run through the target on stable
//! Rust.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_corpus_and_regression_input_runs_clean() {
    let mut total = 0;
    for (name, target) in cs_fuzz::TARGETS {
        let corpus = inputs(&root().join("corpus").join(name));
        assert!(!corpus.is_empty(), "target {name} has a corpus under fuzz/corpus/{name}");
        let regressions = inputs(&root().join("regressions").join(name));
        for path in corpus.iter().chain(&regressions) {
            let data = std::fs::read(path).unwrap();
            let r = std::panic::catch_unwind(|| target(&data));
            assert!(r.is_ok(), "{name}: {} makes the target panic", path.display());
            total += 1;
        }
    }
    eprintln!("{total} fuzz inputs replayed");
}
