//! Names on the wire: the server's bytes turned into text without losing any,
//! and back.
//!
//! RFC 959 predates character sets, and many servers still send file names in
//! Latin-1, CP1251 or Shift-JIS. Such a name must be shown, and sent back in
//! RETR, byte for byte, so it is kept as a `String` in which valid UTF-8 stays
//! as it is and each byte that is not part of valid UTF-8 becomes one
//! private-use character, U+10FF00 plus the byte (Supplementary Private Use
//! Area-B, which no character set maps to). For the mapping to be reversible, a
//! valid UTF-8 sequence that itself decodes to one of those characters is
//! escaped byte by byte too. Python's `surrogateescape` is the same idea.
//!
//! Only bytes 0x80–0xFF can be part of invalid UTF-8, so only the characters
//! U+10FF80–U+10FFFF stand for bytes: an ASCII byte (CR, LF, NUL, `/`) is
//! never hidden behind one.

use std::borrow::Cow;

/// The first of the characters that stand for a byte: U+10FF00 + byte.
const BASE: u32 = 0x10_FF00;

/// The character that stands for `byte` (0x80–0xFF) in decoded text.
pub fn byte_char(byte: u8) -> Option<char> {
    if byte < 0x80 {
        return None;
    }
    char::from_u32(BASE + u32::from(byte))
}

/// The byte `c` stands for, when it is one of the characters [`decode`]
/// uses for bytes that are not UTF-8.
pub fn char_byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (BASE + 0x80..=BASE + 0xFF).contains(&code) { u8::try_from(code - BASE).ok() } else { None }
}

/// The server's bytes as text, losslessly: [`encode`] gives them back.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && !has_bytes(text)
    {
        return Cow::Borrowed(text);
    }
    let mut text = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if char_byte(c).is_some() {
                // A real U+10FF80.. in the name: escape its own bytes so that
                // encoding gives back these four bytes, not one.
                let mut utf8 = [0; 4];
                text.extend(c.encode_utf8(&mut utf8).bytes().filter_map(byte_char));
            } else {
                text.push(c);
            }
        }
        text.extend(chunk.invalid().iter().filter_map(|&b| byte_char(b)));
    }
    Cow::Owned(text)
}

/// The bytes `text` stands for: the inverse of [`decode`].
pub fn encode(text: &str) -> Cow<'_, [u8]> {
    if !has_bytes(text) {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        match char_byte(c) {
            Some(byte) => bytes.push(byte),
            None => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Cow::Owned(bytes)
}

/// Whether `text` holds any byte that is not UTF-8.
pub fn has_bytes(text: &str) -> bool {
    text.chars().any(|c| char_byte(c).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_left_alone() {
        for text in ["", "plain.txt", "ünïcødé 名前 😀", "\u{10FF7F}", "\u{10FEFF}"] {
            assert!(matches!(decode(text.as_bytes()), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }

    #[test]
    fn other_bytes_become_private_use_characters() {
        // "café" in Latin-1, and "日本" in Shift-JIS.
        assert_eq!(decode(b"caf\xe9"), "caf\u{10FFE9}");
        assert_eq!(decode(b"\x93\xfa\x96\x7b"), "\u{10FF93}\u{10FFFA}\u{10FF96}{");
        assert_eq!(encode("caf\u{10FFE9}").as_ref(), b"caf\xe9");
    }

    #[test]
    fn a_real_escape_character_is_escaped_too() {
        let bytes = "x\u{10FFE9}".as_bytes();
        let text = decode(bytes);
        assert_eq!(text, "x\u{10FFF4}\u{10FF8F}\u{10FFBF}\u{10FFA9}");
        assert_eq!(encode(&text).as_ref(), bytes);
    }

    #[test]
    fn ascii_never_hides_behind_a_character() {
        assert_eq!(byte_char(b'\n'), None);
        assert_eq!(char_byte('\u{10FF0A}'), None);
        assert_eq!(encode("\u{10FF0A}").as_ref(), "\u{10FF0A}".as_bytes());
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_round_trip(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let text = decode(&bytes);
            let back = encode(&text).into_owned();
            proptest::prop_assert_eq!(back, bytes);
        }

        #[test]
        fn utf8_without_escape_characters_is_unchanged(text in "\\PC{0,24}") {
            proptest::prop_assume!(!has_bytes(&text));
            let decoded = decode(text.as_bytes()).into_owned();
            proptest::prop_assert_eq!(decoded, text);
        }

        #[test]
        fn any_text_round_trips_through_its_bytes(text in "[a\u{e9}\u{10FF80}-\u{10FFFF}]{0,12}") {
            let bytes = encode(&text).into_owned();
            let back = encode(&decode(&bytes)).into_owned();
            proptest::prop_assert_eq!(back, bytes);
        }
    }
}
