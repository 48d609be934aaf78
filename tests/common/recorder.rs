//! The recorder of the hardening tests: each case goes to `target/reliability/rust-*.jsonl`,
//! from which `docs/RELIABILITY.md` is rendered.

use serde_json::json;
use std::cell::RefCell;
use std::fmt::Debug;
use std::io::Write;
use std::path::PathBuf;

/// One case of `docs/RELIABILITY.md`.
struct Row {
    area: String,
    case: String,
    expected: String,
    observed: String,
}

/// Collects the cases of one test and writes them to `target/reliability/rust-<name>.jsonl`
/// when dropped — also when the test fails, so a failing case shows as failed.
pub struct Recorder {
    file: String,
    rows: RefCell<Vec<Row>>,
}

impl Recorder {
    pub fn new(name: &str) -> Self {
        Self { file: format!("rust-{name}.jsonl"), rows: RefCell::default() }
    }

    /// Records a case whose outcome is `observed`, then asserts it equals `expected`.
    pub fn check<T: PartialEq + Debug>(&self, area: &str, case: &str, expected: T, observed: T) {
        self.rows.borrow_mut().push(Row {
            area: area.to_owned(),
            case: case.to_owned(),
            expected: show(&expected),
            observed: show(&observed),
        });
        assert_eq!(observed, expected, "{area}: {case}");
    }
}

fn show<T: Debug>(v: &T) -> String {
    let s = format!("{v:?}");
    // Strings read better without Debug's quotes and escapes.
    serde_json::from_str::<String>(&s).unwrap_or(s)
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/reliability");
        let _ = std::fs::create_dir_all(&dir);
        let Ok(mut f) = std::fs::File::create(dir.join(&self.file)) else { return };
        for r in self.rows.borrow().iter() {
            let pass = r.expected == r.observed;
            let line =
                json!({"area": r.area, "case": r.case, "expected": r.expected, "observed": r.observed, "pass": pass});
            let _ = writeln!(f, "{line}");
        }
    }
}
