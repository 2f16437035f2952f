//! The rules the server applies to what clients send, each written once: the server
//! checks text against them, and with the `openapi` feature the OpenAPI document states
//! the same regular expressions and lengths, so what the document promises is exactly
//! what the server accepts.
//!
//! The expressions use only what ECMA-262 (the OpenAPI dialect), Python's `re` (test
//! tools) and Rust's `regex` read alike: explicit `\uXXXX` ranges instead of `\s`, no
//! look-around. Lengths are counted in characters, as JSON Schema counts them.

use std::sync::LazyLock;

use regex::Regex;

/// A rule for one kind of text: a length range in characters and an anchored pattern.
pub struct TextRule {
    pub min_chars: usize,
    pub max_chars: usize,
    /// An anchored ECMA-262 regular expression.
    pub pattern: &'static str,
    /// `None` only if the pattern were malformed, which the unit tests rule out; such a
    /// rule would accept nothing.
    regex: LazyLock<Option<Regex>>,
}

impl TextRule {
    /// Whether `text` has an accepted length and matches the pattern.
    pub fn accepts(&self, text: &str) -> bool {
        let chars = text.chars().count();
        (self.min_chars..=self.max_chars).contains(&chars)
            && self
                .regex
                .as_ref()
                .is_some_and(|regex| regex.is_match(text))
    }
}

fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// Control characters (Unicode category Cc), for use inside a character class.
macro_rules! control {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}

/// White space outside the control range (the rest of Unicode's White_Space), for use
/// inside a character class.
macro_rules! space {
    () => {
        r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

const TITLE_PATTERN: &str = concat!(
    "^[^",
    control!(),
    "]*[^",
    control!(),
    space!(),
    "][^",
    control!(),
    "]*$"
);

/// Workspace and session titles: 1 to 200 characters, no control characters, not only
/// white space. The server stores them trimmed.
pub static TITLE: TextRule = TextRule {
    min_chars: 1,
    max_chars: 200,
    pattern: TITLE_PATTERN,
    regex: LazyLock::new(|| compile(TITLE_PATTERN)),
};

const FREE_TEXT_PATTERN: &str = concat!("^[^", control!(), "]*$");

/// A session's `cwd_hint`: up to 1024 characters without control characters (blank
/// means none).
pub static CWD_HINT: TextRule = TextRule {
    min_chars: 0,
    max_chars: 1024,
    pattern: FREE_TEXT_PATTERN,
    regex: LazyLock::new(|| compile(FREE_TEXT_PATTERN)),
};

/// A session's `model`: up to 200 characters without control characters (blank means
/// none).
pub static MODEL: TextRule = TextRule {
    min_chars: 0,
    max_chars: 200,
    pattern: FREE_TEXT_PATTERN,
    regex: LazyLock::new(|| compile(FREE_TEXT_PATTERN)),
};

const ARTIFACT_NAME_PATTERN: &str = concat!(
    r"^(?:[^./\\",
    control!(),
    r"][^/\\",
    control!(),
    r"]*|\.[^./\\",
    control!(),
    r"][^/\\",
    control!(),
    r"]*|\.\.[^/\\",
    control!(),
    "]+)$"
);

/// An artifact's file name: 1 to 255 characters, no `/`, `\` or control characters,
/// and not `.` or `..`.
pub static ARTIFACT_NAME: TextRule = TextRule {
    min_chars: 1,
    max_chars: 255,
    pattern: ARTIFACT_NAME_PATTERN,
    regex: LazyLock::new(|| compile(ARTIFACT_NAME_PATTERN)),
};

const PRINCIPAL_KEY_PATTERN: &str = concat!(
    "^(?:tenant:[^:",
    control!(),
    space!(),
    "]+:oid:[^",
    control!(),
    space!(),
    "]+|(?:principal|group|oid):[^",
    control!(),
    space!(),
    "]+)$"
);

/// A principal key, as members are named: `tenant:<tenant-id>:oid:<object-id>`,
/// `principal:<name>`, `group:<group-id>` or `oid:<object-id>`; up to 300 characters,
/// no white space or control characters.
pub static PRINCIPAL_KEY: TextRule = TextRule {
    min_chars: 1,
    max_chars: 300,
    pattern: PRINCIPAL_KEY_PATTERN,
    regex: LazyLock::new(|| compile(PRINCIPAL_KEY_PATTERN)),
};

const INVITEE_PATTERN: &str = concat!("^[^", control!(), space!(), "]+$");

/// Whom an owner invites: a principal key, or the e-mail/UPN (a development server's
/// user name) of someone who has signed in to the server; 1 to 320 characters, no
/// white space or control characters.
pub static INVITEE: TextRule = TextRule {
    min_chars: 1,
    max_chars: 320,
    pattern: INVITEE_PATTERN,
    regex: LazyLock::new(|| compile(INVITEE_PATTERN)),
};

const SHA256_PATTERN: &str = "^[0-9a-fA-F]{64}$";

/// A SHA-256 digest in hexadecimal (the `x-content-sha256` upload header).
pub static SHA256_HEX: TextRule = TextRule {
    min_chars: 64,
    max_chars: 64,
    pattern: SHA256_PATTERN,
    regex: LazyLock::new(|| compile(SHA256_PATTERN)),
};

const CURSOR_PATTERN: &str =
    "^[0-9]{1,15}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// A list cursor, `<milliseconds>_<id>`: the time and id of the last entry of the
/// previous page.
pub static CURSOR: TextRule = TextRule {
    min_chars: 38,
    max_chars: 52,
    pattern: CURSOR_PATTERN,
    regex: LazyLock::new(|| compile(CURSOR_PATTERN)),
};

/// Whether `text` is a UUID in its usual hyphenated form (either case), as the
/// document's `format: uuid` describes ids.
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// How many entries a page may hold, and how many a page holds by default.
pub const PAGE_LIMIT_MAX: u32 = 200;
pub const PAGE_LIMIT_DEFAULT: u32 = 50;
/// The same for a session's items.
pub const ITEMS_LIMIT_MAX: u32 = 1000;
pub const ITEMS_LIMIT_DEFAULT: u32 = 500;
/// Items one append may carry.
pub const MAX_ITEMS_PER_APPEND: usize = 1000;
/// The longest item `type`, in characters.
pub const MAX_ITEM_TYPE_CHARS: usize = 100;

#[cfg(feature = "openapi")]
pub mod schema {
    //! The rules as OpenAPI schemas: for `#[schema(schema_with = ...)]` on the bodies,
    //! and for the server's document, which gives them to its parameters by name.

    use utoipa::openapi::SchemaFormat;
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};

    use super::TextRule;

    fn text(rule: &TextRule, description: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(rule.min_chars))
            .max_length(Some(rule.max_chars))
            .pattern(Some(rule.pattern))
            .description(Some(description))
    }

    fn nullable_text(rule: &TextRule, description: &str) -> ObjectBuilder {
        text(rule, description).schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
    }

    const TITLE_TEXT: &str =
        "1 to 200 characters, not only white space, no control characters; stored trimmed.";

    pub fn title() -> ObjectBuilder {
        text(&super::TITLE, TITLE_TEXT)
    }

    pub fn optional_title() -> ObjectBuilder {
        nullable_text(&super::TITLE, TITLE_TEXT)
    }

    pub fn cwd_hint() -> ObjectBuilder {
        nullable_text(
            &super::CWD_HINT,
            "The folder the session was started in on its author's machine; up to 1024 characters, no control characters.",
        )
    }

    pub fn model() -> ObjectBuilder {
        nullable_text(
            &super::MODEL,
            "The model's name; up to 200 characters, no control characters.",
        )
    }

    pub fn principal_key() -> ObjectBuilder {
        text(
            &super::PRINCIPAL_KEY,
            "A principal key: tenant:<tenant-id>:oid:<object-id>, principal:<name>, group:<group-id> or oid:<object-id>.",
        )
    }

    pub fn invitee() -> ObjectBuilder {
        text(
            &super::INVITEE,
            "A principal key (tenant:<tenant-id>:oid:<object-id>, principal:<name>, group:<group-id> or oid:<object-id>), or the e-mail/UPN of someone who has signed in to the server.",
        )
    }

    pub fn artifact_name() -> ObjectBuilder {
        text(
            &super::ARTIFACT_NAME,
            "The file name shown to people: 1 to 255 characters, no / or \\ or control characters, not . or ..",
        )
    }

    pub fn sha256_hex() -> ObjectBuilder {
        text(&super::SHA256_HEX, "The file's SHA-256, in hexadecimal.")
    }

    pub fn cursor() -> ObjectBuilder {
        text(&super::CURSOR, "The `next_cursor` of the previous page.")
    }

    /// Rollout items: 1 to 1000 JSON objects, each with a `type` of 1 to 100 characters.
    pub fn rollout_items() -> ArrayBuilder {
        let item = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(super::MAX_ITEM_TYPE_CHARS)),
            )
            .required("type");
        ArrayBuilder::new()
            .items(item)
            .min_items(Some(1))
            .max_items(Some(super::MAX_ITEMS_PER_APPEND))
            .description(Some(
                "Rollout items, each a JSON object with a `type`; at most 4 MiB each once serialised.",
            ))
    }

    pub fn uuid() -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uuid".to_string())))
    }

    pub fn optional_uuid() -> ObjectBuilder {
        uuid().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for rule in [
            &TITLE,
            &CWD_HINT,
            &MODEL,
            &ARTIFACT_NAME,
            &PRINCIPAL_KEY,
            &SHA256_HEX,
            &CURSOR,
        ] {
            assert!(rule.regex.is_some(), "{}", rule.pattern);
        }
    }

    #[test]
    fn titles() {
        for good in ["Team", "  Team  ", "über résumé", "a", &"x".repeat(200)] {
            assert!(TITLE.accepts(good), "{good:?}");
        }
        for bad in ["", "   ", "\u{3000}", "a\nb", "a\u{7}", &"x".repeat(201)] {
            assert!(!TITLE.accepts(bad), "{bad:?}");
        }
    }

    #[test]
    fn free_text() {
        assert!(CWD_HINT.accepts(""));
        assert!(CWD_HINT.accepts("/home/alice/src/zspark"));
        assert!(!CWD_HINT.accepts("a\tb"));
        assert!(!MODEL.accepts(&"m".repeat(201)));
    }

    #[test]
    fn artifact_names() {
        for good in [
            "report.pdf",
            "über résumé.docx",
            ".env",
            "...",
            "..a",
            "a..b",
        ] {
            assert!(ARTIFACT_NAME.accepts(good), "{good:?}");
        }
        for bad in ["", ".", "..", "a/b", "a\\b", "a\u{0}b", &"x".repeat(256)] {
            assert!(!ARTIFACT_NAME.accepts(bad), "{bad:?}");
        }
    }

    #[test]
    fn principal_keys() {
        for good in [
            "principal:bob",
            "group:abc",
            "tenant:t:oid:o",
            "tenant:t:oid:o:oid:p",
            "oid:o",
        ] {
            assert!(PRINCIPAL_KEY.accepts(good), "{good}");
        }
        for bad in [
            "bob",
            "principal:",
            "tenant:t",
            "tenant::oid:o",
            "tenant:a:b:oid:o",
            "tenant:t:oid:",
            "group:a b",
            "group:a\u{a0}b",
            "",
        ] {
            assert!(!PRINCIPAL_KEY.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn ids_cursors_and_digests() {
        assert!(is_uuid("0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"));
        assert!(is_uuid("0199AAAA-BBBB-7CCC-8DDD-EEEEFFFF0000"));
        for bad in [
            "42",
            "0199aaaabbbb7ccc8dddeeeeffff0000",
            "{0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000}",
            "0199aaaa-bbbb-7ccc-8ddd-eeeeffff000g",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
        assert!(CURSOR.accepts("1733100000000_0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"));
        assert!(!CURSOR.accepts("1733100000000_42"));
        assert!(!CURSOR.accepts("1234567890123456_0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000"));
        assert!(SHA256_HEX.accepts(&"aB".repeat(32)));
        assert!(!SHA256_HEX.accepts(&"g".repeat(64)));
    }
}
