//! Finding where a chunk's old lines sit in a file, with progressively looser matching:
//! exact, then ignoring trailing whitespace, then ignoring surrounding whitespace, then
//! also treating typographic punctuation (curly quotes, dashes, odd spaces) as ASCII.

/// The first position at or after `start` where `pattern` matches `lines`. With
/// `at_end`, a match that ends the file is preferred.
pub fn seek_sequence(
    lines: &[String],
    pattern: &[String],
    start: usize,
    at_end: bool,
) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start.min(lines.len()));
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last_start = lines.len() - pattern.len();
    let comparisons: [fn(&str, &str) -> bool; 4] = [
        |a, b| a == b,
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
        |a, b| normalise(a) == normalise(b),
    ];
    for same in comparisons {
        let matches_at = |position: usize| {
            lines[position..position + pattern.len()]
                .iter()
                .zip(pattern)
                .all(|(a, b)| same(a, b))
        };
        if at_end && last_start >= start && matches_at(last_start) {
            return Some(last_start);
        }
        if let Some(position) = (start..=last_start).find(|&position| matches_at(position)) {
            return Some(position);
        }
    }
    None
}

fn normalise(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => '"',
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|line| line.to_string()).collect()
    }

    #[test]
    fn prefers_exact_then_loosens_step_by_step() {
        let file = lines(&["a", "b  ", "  c", "d \u{2014} e", "b"]);
        assert_eq!(
            seek_sequence(&file, &lines(&["b"]), 0, false),
            Some(4),
            "exact beats loose"
        );
        assert_eq!(seek_sequence(&file, &lines(&["b", "c"]), 0, false), Some(1));
        assert_eq!(seek_sequence(&file, &lines(&["d - e"]), 0, false), Some(3));
        assert_eq!(seek_sequence(&file, &lines(&["zzz"]), 0, false), None);
        assert_eq!(
            seek_sequence(&file, &lines(&["a"]), 1, false),
            None,
            "search starts at start"
        );
    }

    #[test]
    fn end_of_file_prefers_the_last_match() {
        let file = lines(&["x", "y", "x"]);
        assert_eq!(seek_sequence(&file, &lines(&["x"]), 0, true), Some(2));
        assert_eq!(seek_sequence(&file, &lines(&["x"]), 0, false), Some(0));
    }
}
