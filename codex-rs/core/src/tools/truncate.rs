//! Shortening tool output to a token budget while keeping its beginning and its end,
//! where the useful parts of command output usually are. Tokens are estimated at four
//! bytes each, as Codex does.

/// Bytes per estimated token.
const BYTES_PER_TOKEN: usize = 4;

/// Estimated token count of `text`.
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(BYTES_PER_TOKEN)
}

/// `text` cut to about `max_tokens`, half from the head and half from the tail, with a
/// marker saying how much was left out. Cuts fall on line ends when one is near, and
/// never inside a character.
pub fn truncate_middle(text: &str, max_tokens: usize) -> String {
    let budget = max_tokens.saturating_mul(BYTES_PER_TOKEN);
    if text.len() <= budget {
        return text.to_string();
    }
    let half = budget / 2;
    let mut head_end = floor_char_boundary(text, half);
    if let Some(newline) = text[..head_end].rfind('\n')
        && newline >= head_end / 2
    {
        head_end = newline + 1;
    }
    let mut tail_start = ceil_char_boundary(text, text.len() - half);
    if let Some(newline) = text[tail_start..].find('\n')
        && newline < half / 2
    {
        tail_start += newline + 1;
    }
    let omitted = estimate_tokens(&text[head_end..tail_start]);
    format!(
        "{}…{omitted} tokens truncated…\n{}",
        &text[..head_end],
        &text[tail_start..]
    )
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(truncate_middle("hello", 10), "hello");
        assert_eq!(estimate_tokens("abcde"), 2);
    }

    #[test]
    fn long_text_keeps_head_and_tail_on_line_boundaries() {
        let text: String = (0..1000).map(|n| format!("line {n}\n")).collect();
        let cut = truncate_middle(&text, 50);
        assert!(cut.starts_with("line 0\nline 1\n"), "{cut}");
        assert!(cut.ends_with("line 998\nline 999\n"), "{cut}");
        assert!(cut.contains("tokens truncated"), "{cut}");
        assert!(cut.len() < 260, "{} bytes", cut.len());
        for line in cut.lines().filter(|line| !line.contains("truncated")) {
            assert!(
                line.starts_with("line "),
                "no line was cut in half: {line:?}"
            );
        }
    }

    #[test]
    fn never_cuts_inside_a_character() {
        let text = "é".repeat(1000);
        let cut = truncate_middle(&text, 10);
        assert!(cut.starts_with('é') && cut.ends_with('é'));
    }
}
