//! The `content` text of a tool result: short, most important facts first, and bounded in
//! size whatever the fleet size.

use std::borrow::Cow;

/// What ends a text that was cut.
const ELLIPSIS: &str = "…";

/// Most bytes of text a tool returns in `content`.
pub const MAX_TEXT_BYTES: usize = 3500;
/// Most list lines shown before "…and N more".
pub const MAX_LINES: usize = 15;
/// Room kept for the "…and N more" line.
const MORE_LINE_BYTES: usize = 40;

/// A text being written with a byte budget.
#[derive(Debug, Default)]
pub struct Text {
    out: String,
}

impl Text {
    /// An empty text.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a line (cut to fit the budget).
    pub fn line(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref();
        let room = MAX_TEXT_BYTES.saturating_sub(self.out.len() + 1);
        if room == 0 {
            return;
        }
        self.out.push_str(&cut(s, room));
        self.out.push('\n');
    }

    /// Adds a heading and up to `MAX_LINES` items, then "…and N more" for the rest; only
    /// the items shown are formatted (`show`), so a list of thousands costs little.
    pub fn list<T>(
        &mut self,
        heading: impl AsRef<str>,
        items: impl IntoIterator<Item = T>,
        show: impl Fn(T) -> String,
    ) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            return;
        }
        self.line(heading);
        // Each line gets an even share of what is left, keeping room for "…and N more": a
        // short list keeps its lines whole, a long one is cut evenly.
        for shown in 0..MAX_LINES {
            let Some(item) = items.next() else { break };
            let lines_left = (MAX_LINES - shown).min(items.size_hint().0 + 1);
            let room = (MAX_TEXT_BYTES.saturating_sub(self.out.len() + MORE_LINE_BYTES) / lines_left).max(60);
            self.line(format!("- {}", cut(&show(item), room)));
        }
        let more = items.count();
        if more > 0 {
            self.line(format!("…and {more} more"));
        }
    }

    /// The finished text.
    pub fn finish(mut self) -> String {
        while self.out.ends_with('\n') {
            self.out.pop();
        }
        self.out
    }
}

/// `s` cut to at most `max` bytes on a character boundary, ending in "…" when cut (when
/// `max` leaves room for it).
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let room = if max >= ELLIPSIS.len() { max - ELLIPSIS.len() } else { max };
    let mut end = room;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let kept = s.get(..end).unwrap_or("");
    if max >= ELLIPSIS.len() {
        Cow::Owned(format!("{kept}{ELLIPSIS}"))
    } else {
        Cow::Borrowed(kept)
    }
}

/// `n` MB shown as GB with no decimals when large.
pub fn gb(mb: f64) -> String {
    format!("{:.0} GB", mb / 1024.0)
}

/// "1 node" / "3 nodes".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_cut_with_a_count_and_text_stays_bounded() {
        let mut t = Text::new();
        t.list("Items:", 0..1000, |i| format!("item {i} {}", "x".repeat(500)));
        let s = t.finish();
        assert!(s.len() <= MAX_TEXT_BYTES, "{}", s.len());
        assert!(s.ends_with("…and 985 more"));
    }

    #[test]
    fn a_cut_text_says_so_and_stays_within_its_bytes() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdef", 5), "ab…");
        assert_eq!(cut("naïve text", 6), "na…");
        assert_eq!(cut("abcdef", 2), "ab");
        for max in 0..12 {
            assert!(cut("naïve text", max).len() <= max, "{max}");
        }
    }
}
