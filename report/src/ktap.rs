//! KTAP version 1 (the kernel's Documentation/dev-tools/ktap.rst): the one
//! writer of the suite's and the matrix's KTAP. Diagnostics and result
//! lines are kept to one line each; a subtest is indented four spaces.

use std::fmt::Write as _;

use crate::Counts;

/// A test's result line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Result<'a> {
    /// `ok`.
    Ok,
    /// `not ok`.
    NotOk,
    /// `ok ... # SKIP reason`.
    Skip(&'a str),
    /// `ok ... # XFAIL reason` (kselftest's expected failure).
    Xfail(&'a str),
}

/// A KTAP document, or a subtest block inside one.
#[derive(Debug, Clone, Default)]
pub struct Ktap {
    out: String,
    indent: usize,
}

/// `s` on one line: KTAP names and messages stay on a line each.
pub fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A test's name in KTAP: no spaces, no `#`.
pub fn test_name(s: &str) -> String {
    s.replace([' ', '#'], "_")
}

impl Ktap {
    /// A document: its version line.
    pub fn new() -> Ktap {
        let mut k = Ktap::default();
        k.line("KTAP version 1");
        k
    }

    /// Opens a subtest block named `name` (its lines indented one level
    /// deeper until [`Ktap::end_subtest`]).
    pub fn subtest(&mut self, name: &str) {
        self.indent += 1;
        self.line("KTAP version 1");
        self.line(&format!("# Subtest: {}", test_name(name)));
    }

    /// Closes the innermost subtest block; its result line follows.
    pub fn end_subtest(&mut self) {
        self.indent = self.indent.saturating_sub(1);
    }

    /// The plan: `1..n`.
    pub fn plan(&mut self, n: usize) {
        self.line(&format!("1..{n}"));
    }

    /// A diagnostic line: `# text`.
    pub fn diagnostic(&mut self, text: &str) {
        self.line(&format!("# {}", one_line(text)));
    }

    /// Test `n`'s result line.
    pub fn result(&mut self, n: usize, name: &str, result: Result<'_>) {
        let name = test_name(name);
        let line = match result {
            Result::Ok => format!("ok {n} {name}"),
            Result::NotOk => format!("not ok {n} {name}"),
            Result::Skip(why) => format!("ok {n} {name} # SKIP {}", one_line(why)),
            Result::Xfail(why) => format!("ok {n} {name} # XFAIL {}", one_line(why)),
        };
        self.line(&line);
    }

    /// kselftest's closing totals.
    pub fn totals(&mut self, c: &Counts) {
        self.line(&format!(
            "# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:{}",
            c.pass, c.fail, c.xfail, c.skip, c.error
        ));
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{:width$}{text}", "", width = 4 * self.indent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_with_a_subtest() {
        let mut k = Ktap::new();
        k.plan(1);
        k.subtest("host 6.18");
        k.plan(2);
        k.diagnostic("a\nb");
        k.result(1, "a/b #1", Result::Ok);
        k.result(2, "c", Result::Xfail("known\rdefect"));
        k.totals(&Counts {
            pass: 1,
            xfail: 1,
            ..Counts::default()
        });
        k.end_subtest();
        k.result(1, "host 6.18", Result::Skip("nothing ran"));
        assert_eq!(
            k.finish(),
            "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: host_6.18\n    1..2\n    # a b\n    ok 1 a/b__1\n    ok 2 c # XFAIL known defect\n    # Totals: pass:1 fail:0 xfail:1 xpass:0 skip:0 error:0\nok 1 host_6.18 # SKIP nothing ran\n"
        );
    }
}
