//! Incremental server-sent-events decoder: bytes in as they arrive, complete events
//! out. Accepts `\n`, `\r\n` and `\r` line ends, multi-line `data`, comments, and
//! refuses to buffer more than a fixed amount for one event, so a broken or hostile
//! upstream cannot make it grow without bound.

/// One complete event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// The largest event accepted (a single tool call's arguments can be large).
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the line being received.
    line: Vec<u8>,
    /// A `\r` ended the previous chunk; a `\n` starting the next one belongs to it.
    after_carriage_return: bool,
    event: Option<String>,
    data: Option<String>,
    event_bytes: usize,
}

/// The stream sent an event larger than [`MAX_EVENT_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTooLarge;

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, EventTooLarge> {
        let mut events = Vec::new();
        for &byte in bytes {
            if self.after_carriage_return {
                self.after_carriage_return = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_carriage_return = byte == b'\r';
                    if let Some(event) = self.end_line() {
                        events.push(event);
                    }
                }
                _ => {
                    self.line.push(byte);
                    self.event_bytes += 1;
                    if self.event_bytes > MAX_EVENT_BYTES {
                        return Err(EventTooLarge);
                    }
                }
            }
        }
        Ok(events)
    }

    /// Handles the end of a line; a blank line dispatches the pending event.
    fn end_line(&mut self) -> Option<SseEvent> {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        if line.is_empty() {
            self.event_bytes = 0;
            let data = self.data.take()?;
            return Some(SseEvent {
                event: self.event.take(),
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(text: &str, piece: usize) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new();
        text.as_bytes()
            .chunks(piece)
            .flat_map(|chunk| decoder.push(chunk).unwrap())
            .collect()
    }

    #[test]
    fn same_events_however_the_bytes_are_split() {
        let text = "event: a\ndata: {\"x\":1}\n\n: ping\r\n\r\ndata: line1\r\ndata: line2\r\n\r\ndata: é\r\r";
        let expected = vec![
            SseEvent {
                event: Some("a".into()),
                data: "{\"x\":1}".into(),
            },
            SseEvent {
                event: None,
                data: "line1\nline2".into(),
            },
            SseEvent {
                event: None,
                data: "é".into(),
            },
        ];
        for piece in 1..=text.len() {
            assert_eq!(
                decode_in_pieces(text, piece),
                expected,
                "piece size {piece}"
            );
        }
    }

    #[test]
    fn an_event_without_its_blank_line_is_not_dispatched() {
        assert_eq!(decode_in_pieces("data: half", 3), vec![]);
    }

    #[test]
    fn oversized_events_are_refused() {
        let mut decoder = SseDecoder::new();
        let big = vec![b'x'; MAX_EVENT_BYTES + 1];
        assert_eq!(decoder.push(&big), Err(EventTooLarge));
    }
}
