//! The golden fixed-seed run: a small scenario whose outputs must not
//! change unintentionally. When a change is intended, regenerate with
//! `UPDATE_GOLDEN=1 cargo test --release --test it golden` and commit the
//! new files with the change, saying why in the commit message.

use super::support;
use std::fs;

#[test]
fn golden_run_matches_exactly() {
    let data = support::repo().join("tests/data");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("golden");
    let o = support::binary()
        .args([
            "run",
            data.join("golden.toml").to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected_dir = data.join("golden");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(&expected_dir).unwrap();
        for f in support::RESULT_FILES {
            fs::copy(out.join(f), expected_dir.join(f)).unwrap();
        }
    }
    for f in support::RESULT_FILES {
        let got = fs::read_to_string(out.join(f)).unwrap();
        let want = fs::read_to_string(expected_dir.join(f))
            .unwrap_or_else(|_| panic!("missing tests/data/golden/{f}; run with UPDATE_GOLDEN=1 once"));
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b);
            panic!("{f} differs from the golden file (first differing line: {line:?}); if intended, regenerate");
        }
    }
}
