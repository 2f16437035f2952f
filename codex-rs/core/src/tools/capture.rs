//! Bounded capture of process output: the first and the last part are kept, the middle
//! of a huge output is counted but not stored. Also a decoder that turns byte chunks
//! into text without breaking a UTF-8 character split across chunks.

use std::collections::VecDeque;

/// Keeps up to `limit` bytes from the start and `limit` from the end.
#[derive(Debug)]
pub struct HeadTailBuffer {
    limit: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    omitted: u64,
}

impl HeadTailBuffer {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            head: Vec::new(),
            tail: VecDeque::new(),
            omitted: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.head.len());
        let into_head = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..into_head]);
        bytes = &bytes[into_head..];
        self.tail.extend(bytes);
        while self.tail.len() > self.limit {
            let excess = self.tail.len() - self.limit;
            self.tail.drain(..excess);
            self.omitted += excess as u64;
        }
    }

    /// The kept text, with a marker where bytes were left out; empties the buffer.
    pub fn take_text(&mut self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.omitted > 0 {
            text.push_str(&format!("\n…{} bytes of output omitted…\n", self.omitted));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        text.push_str(&String::from_utf8_lossy(&tail));
        self.head.clear();
        self.tail.clear();
        self.omitted = 0;
        text
    }

    /// The kept text without emptying the buffer.
    pub fn text(&self) -> String {
        let mut copy = Self {
            limit: self.limit,
            head: self.head.clone(),
            tail: self.tail.clone(),
            omitted: self.omitted,
        };
        copy.take_text()
    }
}

/// Turns byte chunks into text, holding back an incomplete trailing character until
/// the next chunk completes it.
#[derive(Debug, Default)]
pub struct Utf8Chunker {
    carry: Vec<u8>,
}

impl Utf8Chunker {
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.carry.extend_from_slice(bytes);
        let valid_up_to = match std::str::from_utf8(&self.carry) {
            Ok(_) => self.carry.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            // Invalid bytes (not just incomplete): emit everything lossily.
            Err(_) => self.carry.len(),
        };
        let rest = self.carry.split_off(valid_up_to);
        let text = String::from_utf8_lossy(&self.carry).into_owned();
        self.carry = rest;
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_and_counts_the_middle() {
        let mut buffer = HeadTailBuffer::new(4);
        buffer.push(b"abcdefghij");
        buffer.push(b"klm");
        assert_eq!(
            buffer.take_text(),
            "abcd\n…5 bytes of output omitted…\njklm"
        );
        assert_eq!(buffer.take_text(), "", "taking empties the buffer");
        buffer.push(b"xy");
        assert_eq!(buffer.text(), "xy");
        assert_eq!(buffer.take_text(), "xy");
    }

    #[test]
    fn characters_split_across_chunks_survive() {
        let bytes = "héllo wörld".as_bytes();
        let mut chunker = Utf8Chunker::default();
        let text: String = bytes.chunks(1).map(|chunk| chunker.push(chunk)).collect();
        assert_eq!(text, "héllo wörld");
        assert_eq!(Utf8Chunker::default().push(&[0xff, b'a']), "\u{fffd}a");
    }
}
