//! Test helpers: edits made with a real yrs document, as a client would make them.

use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

/// Appends `text` to the document's `draft` text; the update that edit made.
pub fn append_text(doc: &Doc, text: &str) -> Vec<u8> {
    let before = doc.transact().state_vector();
    let shared = doc.get_or_insert_text("draft");
    let mut txn = doc.transact_mut();
    let end = shared.len(&txn);
    shared.insert(&mut txn, end, text);
    drop(txn);
    doc.transact().encode_diff_v1(&before)
}

/// The `draft` text of a document made of `updates`.
pub fn text_of_updates(updates: &[Vec<u8>]) -> String {
    let doc = Doc::new();
    for update in updates {
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }
    text_of(&doc)
}

/// The document's `draft` text.
pub fn text_of(doc: &Doc) -> String {
    let shared = doc.get_or_insert_text("draft");
    shared.get_string(&doc.transact())
}
