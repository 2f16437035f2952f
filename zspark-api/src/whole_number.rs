//! Whole numbers in request bodies, read as JSON Schema reads them: `3.0` is the
//! integer 3 (its fractional part is zero), so a body the document calls valid is not
//! refused for how a client printed a number. For `#[serde(with = ...)]`.

use serde::de::Error;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Number;

/// The bounds of i64 as f64; `i64::MAX as f64` itself rounds up to 2^63, outside i64.
const LOWEST: f64 = i64::MIN as f64;
const PAST_HIGHEST: f64 = i64::MAX as f64;

fn to_i64(number: &Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|value| value.fract() == 0.0 && (LOWEST..PAST_HIGHEST).contains(value))
            .map(|value| value as i64)
    })
}

fn read<'de, D: Deserializer<'de>>(number: Number) -> Result<i64, D::Error> {
    to_i64(&number).ok_or_else(|| {
        D::Error::custom(format!(
            "expected a whole number between {} and {}, found {number}",
            i64::MIN,
            i64::MAX
        ))
    })
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    read::<D>(Number::deserialize(deserializer)?)
}

pub fn serialize<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(*value)
}

/// The same for an optional number (absent or `null` is `None`).
pub mod optional {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        Option::<Number>::deserialize(deserializer)?
            .map(read::<D>)
            .transpose()
    }

    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_i64(*value),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        #[serde(with = "super")]
        seq: i64,
        #[serde(default, with = "super::optional")]
        up_to: Option<i64>,
    }

    fn parse(text: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn integral_numbers_in_any_notation() {
        assert_eq!(
            parse(r#"{"seq": 3}"#).unwrap(),
            Body {
                seq: 3,
                up_to: None
            }
        );
        assert_eq!(
            parse(r#"{"seq": 3.0, "up_to": 1e3}"#).unwrap(),
            Body {
                seq: 3,
                up_to: Some(1000)
            }
        );
        assert_eq!(parse(r#"{"seq": -2, "up_to": null}"#).unwrap().up_to, None);
        for bad in [
            r#"{"seq": 3.5}"#,
            r#"{"seq": 1e19}"#,
            r#"{"seq": 18446744073709551615}"#,
            r#"{"seq": "3"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&Body {
                seq: 7,
                up_to: None
            })
            .unwrap(),
            r#"{"seq":7,"up_to":null}"#
        );
    }
}
