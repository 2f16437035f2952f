//! Parser for the patch grammar:
//!
//! ```text
//! patch  := "*** Begin Patch" LF hunk+ "*** End Patch" LF?
//! hunk   := add | delete | update
//! add    := "*** Add File: " path LF ("+" line LF)*
//! delete := "*** Delete File: " path LF
//! update := "*** Update File: " path LF ("*** Move to: " path LF)? chunk*
//! chunk  := ("@@" | "@@ " context) LF (" " | "-" | "+") line LF ... ("*** End of File" LF)?
//! ```
//!
//! The parser is lenient where models commonly slip and the meaning is still plain: the
//! patch may be wrapped in a shell heredoc, markers may carry surrounding whitespace, an
//! empty line inside a chunk is an empty context line, and the first chunk of an update
//! may omit its `@@` header.

use std::fmt;
use std::path::PathBuf;

const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File: ";
const DELETE_FILE: &str = "*** Delete File: ";
const UPDATE_FILE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";

/// A parsed patch: one or more hunks, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub hunks: Vec<Hunk>,
}

/// One file operation of a patch. Paths are as written (relative to the working
/// directory unless absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hunk {
    Add {
        path: PathBuf,
        contents: String,
    },
    Delete {
        path: PathBuf,
    },
    Update {
        path: PathBuf,
        move_to: Option<PathBuf>,
        chunks: Vec<UpdateChunk>,
    },
}

impl Hunk {
    pub fn path(&self) -> &PathBuf {
        match self {
            Self::Add { path, .. } | Self::Delete { path } | Self::Update { path, .. } => path,
        }
    }
}

/// One `@@` section of an update: its lines in order, each kept, removed or added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateChunk {
    /// The text after `@@ `, a line to find first so the chunk lands after it.
    pub context: Option<String>,
    pub lines: Vec<ChunkLine>,
    /// Set by `*** End of File`: the old lines must end the file.
    pub is_end_of_file: bool,
}

/// One line of a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkLine {
    /// ` text`: must be in the file, stays.
    Context(String),
    /// `-text`: must be in the file, goes.
    Remove(String),
    /// `+text`: is written.
    Add(String),
}

impl UpdateChunk {
    /// The lines that must be found in the file (context and removed), in order.
    pub fn old_lines(&self) -> Vec<String> {
        old_lines_of(&self.lines)
    }

    /// The lines the chunk leaves in their place (context and added), in order.
    pub fn new_lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|line| match line {
                ChunkLine::Context(text) | ChunkLine::Add(text) => Some(text.clone()),
                ChunkLine::Remove(_) => None,
            })
            .collect()
    }
}

/// Why a patch could not be parsed; `line` is 1-based in the patch text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid patch at line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses patch text.
pub fn parse_patch(text: &str) -> Result<Patch, ParseError> {
    let lines: Vec<&str> = strip_heredoc(text.trim()).lines().collect();
    let error = |line: usize, message: String| ParseError { line, message };

    let Some(first) = lines.first() else {
        return Err(error(
            1,
            format!("the patch is empty; it must start with '{BEGIN_PATCH}'"),
        ));
    };
    if first.trim() != BEGIN_PATCH {
        return Err(error(
            1,
            format!("the first line must be '{BEGIN_PATCH}', found '{first}'"),
        ));
    }
    let Some(last_index) = lines.iter().rposition(|line| line.trim() == END_PATCH) else {
        return Err(error(
            lines.len(),
            format!("the patch must end with '{END_PATCH}'"),
        ));
    };
    if let Some((offset, extra)) = lines[last_index + 1..]
        .iter()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty())
    {
        return Err(error(
            last_index + offset + 2,
            format!("unexpected text after '{END_PATCH}': '{extra}'"),
        ));
    }

    let body = &lines[1..last_index];
    let mut hunks = Vec::new();
    let mut index = 0;
    while index < body.len() {
        let line_number = index + 2;
        let line = body[index].trim();
        if line.is_empty() {
            index += 1;
            continue;
        }
        if let Some(path) = line.strip_prefix(ADD_FILE.trim_end()) {
            let path = non_empty_path(path, line_number)?;
            index += 1;
            let mut contents = String::new();
            while let Some(added) = body.get(index).and_then(|line| line.strip_prefix('+')) {
                contents.push_str(added);
                contents.push('\n');
                index += 1;
            }
            hunks.push(Hunk::Add { path, contents });
        } else if let Some(path) = line.strip_prefix(DELETE_FILE.trim_end()) {
            hunks.push(Hunk::Delete {
                path: non_empty_path(path, line_number)?,
            });
            index += 1;
        } else if let Some(path) = line.strip_prefix(UPDATE_FILE.trim_end()) {
            let path = non_empty_path(path, line_number)?;
            index += 1;
            let mut move_to = None;
            if let Some(target) = body
                .get(index)
                .and_then(|l| l.trim().strip_prefix(MOVE_TO.trim_end()))
            {
                move_to = Some(non_empty_path(target, index + 2)?);
                index += 1;
            }
            let (chunks, consumed) = parse_chunks(&body[index..], index + 2)?;
            if chunks.is_empty() && move_to.is_none() {
                return Err(error(
                    line_number,
                    format!("'{UPDATE_FILE}{}' has no changes", path.display()),
                ));
            }
            index += consumed;
            hunks.push(Hunk::Update {
                path,
                move_to,
                chunks,
            });
        } else {
            return Err(error(
                line_number,
                format!(
                    "expected '{ADD_FILE}', '{DELETE_FILE}' or '{UPDATE_FILE}' followed by a path, found '{line}'"
                ),
            ));
        }
    }
    if hunks.is_empty() {
        return Err(error(1, "the patch changes no files".to_string()));
    }
    Ok(Patch { hunks })
}

/// Parses the chunks of one update hunk; stops at the next file header. Returns the
/// chunks and how many lines were consumed.
fn parse_chunks(
    lines: &[&str],
    first_line_number: usize,
) -> Result<(Vec<UpdateChunk>, usize), ParseError> {
    let mut chunks: Vec<UpdateChunk> = Vec::new();
    let mut current: Option<UpdateChunk> = None;
    let mut index = 0;
    while index < lines.len() {
        let raw = lines[index];
        let marker = raw.trim_end();
        if is_file_header(marker) {
            break;
        }
        let line_number = first_line_number + index;
        index += 1;
        if marker == "@@" || marker.starts_with("@@ ") {
            chunks.extend(current.take());
            let context = marker
                .strip_prefix("@@")
                .map(str::trim)
                .filter(|c| !c.is_empty());
            current = Some(UpdateChunk {
                context: context.map(str::to_string),
                ..UpdateChunk::default()
            });
            continue;
        }
        if marker == END_OF_FILE {
            let Some(chunk) = current.as_mut() else {
                return Err(ParseError {
                    line: line_number,
                    message: format!("'{END_OF_FILE}' must follow the lines of a chunk"),
                });
            };
            chunk.is_end_of_file = true;
            chunks.extend(current.take());
            continue;
        }
        let chunk = current.get_or_insert_with(UpdateChunk::default);
        match raw.chars().next() {
            Some(' ') | None => chunk
                .lines
                .push(ChunkLine::Context(raw.get(1..).unwrap_or("").to_string())),
            Some('-') => chunk.lines.push(ChunkLine::Remove(raw[1..].to_string())),
            Some('+') => chunk.lines.push(ChunkLine::Add(raw[1..].to_string())),
            Some(_) => {
                return Err(ParseError {
                    line: line_number,
                    message: format!(
                        "a line in an update must start with ' ', '-' or '+', found '{raw}'"
                    ),
                });
            }
        }
    }
    chunks.extend(current);
    if let Some(position) = chunks.iter().position(|chunk| chunk.lines.is_empty()) {
        return Err(ParseError {
            line: first_line_number,
            message: format!("chunk {} of the update has no lines", position + 1),
        });
    }
    Ok((chunks, index))
}

/// The lines of `lines` that must be found in the file (context and removed).
pub(crate) fn old_lines_of(lines: &[ChunkLine]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| match line {
            ChunkLine::Context(text) | ChunkLine::Remove(text) => Some(text.clone()),
            ChunkLine::Add(_) => None,
        })
        .collect()
}

fn is_file_header(line: &str) -> bool {
    [ADD_FILE, DELETE_FILE, UPDATE_FILE]
        .iter()
        .any(|header| line.starts_with(header.trim_end()))
}

fn non_empty_path(text: &str, line: usize) -> Result<PathBuf, ParseError> {
    let path = text.trim();
    if path.is_empty() {
        return Err(ParseError {
            line,
            message: "a file header needs a path".to_string(),
        });
    }
    Ok(PathBuf::from(path))
}

/// Removes a shell heredoc wrapper (`<<'EOF'` … `EOF`) around the patch, which models
/// sometimes keep when they switch from the shell form to the tool.
fn strip_heredoc(text: &str) -> &str {
    let Some((first, rest)) = text.split_once('\n') else {
        return text;
    };
    let Some(marker) = first.trim().strip_prefix("<<") else {
        return text;
    };
    let marker = marker.trim().trim_matches(|c| c == '\'' || c == '"');
    match rest.trim_end().rsplit_once('\n') {
        Some((inner, last)) if last.trim() == marker => inner,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_hunk_kind() {
        let patch = parse_patch(
            "*** Begin Patch\n\
             *** Add File: new.txt\n+hello\n+world\n\
             *** Delete File: old.txt\n\
             *** Update File: src/lib.rs\n*** Move to: src/main.rs\n\
             @@ fn main() {\n a\n-b\n+c\n\
             @@\n x\n+y\n*** End of File\n\
             *** End Patch\n",
        )
        .unwrap();
        assert_eq!(
            patch.hunks,
            vec![
                Hunk::Add {
                    path: "new.txt".into(),
                    contents: "hello\nworld\n".into()
                },
                Hunk::Delete {
                    path: "old.txt".into()
                },
                Hunk::Update {
                    path: "src/lib.rs".into(),
                    move_to: Some("src/main.rs".into()),
                    chunks: vec![
                        UpdateChunk {
                            context: Some("fn main() {".into()),
                            lines: vec![
                                ChunkLine::Context("a".into()),
                                ChunkLine::Remove("b".into()),
                                ChunkLine::Add("c".into()),
                            ],
                            is_end_of_file: false,
                        },
                        UpdateChunk {
                            context: None,
                            lines: vec![ChunkLine::Context("x".into()), ChunkLine::Add("y".into())],
                            is_end_of_file: true,
                        },
                    ],
                },
            ]
        );
    }

    #[test]
    fn accepts_heredoc_wrapper_whitespace_and_bare_empty_context_lines() {
        let patch = parse_patch(
            "<<'EOF'\n  *** Begin Patch  \n*** Update File: a.txt\n one\n\n-two\n+2\n*** End Patch\nEOF\n",
        )
        .unwrap();
        let Hunk::Update { chunks, .. } = &patch.hunks[0] else {
            panic!("expected an update")
        };
        assert_eq!(chunks[0].old_lines(), ["one", "", "two"]);
        assert_eq!(chunks[0].new_lines(), ["one", "", "2"]);
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let cases = [
            ("", 1, "the patch is empty"),
            ("hello", 1, "the first line must be '*** Begin Patch'"),
            (
                "*** Begin Patch\n*** Add File: a\n+x",
                3,
                "must end with '*** End Patch'",
            ),
            (
                "*** Begin Patch\n*** Frobnicate: a\n*** End Patch",
                2,
                "expected '*** Add File: '",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n*** End Patch",
                2,
                "has no changes",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n@@\n!x\n*** End Patch",
                4,
                "must start with ' ', '-' or '+'",
            ),
            (
                "*** Begin Patch\n*** Add File:   \n*** End Patch",
                2,
                "needs a path",
            ),
            ("*** Begin Patch\n*** End Patch", 1, "changes no files"),
            (
                "*** Begin Patch\n*** Delete File: a\n*** End Patch\nmore",
                4,
                "after '*** End Patch'",
            ),
        ];
        for (text, line, message) in cases {
            let error = parse_patch(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?} -> {error}");
            assert!(error.message.contains(message), "{text:?} -> {error}");
        }
    }
}
