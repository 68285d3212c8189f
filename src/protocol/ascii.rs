//! TYPE A line-ending conversion, streaming (RFC 959 §3.1.1.1: NVT-ASCII lines
//! end in CRLF on the wire). Both converters keep one byte of state, so chunk
//! boundaries never change the result.

/// Turns CRLF into LF while receiving; a lone CR is kept.
#[derive(Debug, Default)]
pub struct CrlfToLf {
    pending_cr: bool,
}

impl CrlfToLf {
    /// Converts one chunk, appending to `out`.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &byte in input {
            if self.pending_cr {
                self.pending_cr = false;
                if byte != b'\n' {
                    out.push(b'\r');
                }
            }
            if byte == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(byte);
            }
        }
    }

    /// Flushes a CR held back at the very end of the data.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
    }
}

/// Turns LF into CRLF while sending; an existing CRLF is left alone.
#[derive(Debug, Default)]
pub struct LfToCrlf {
    last_was_cr: bool,
}

impl LfToCrlf {
    /// Converts one chunk, appending to `out`.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &byte in input {
            if byte == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.last_was_cr = byte == b'\r';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receive(chunks: &[&[u8]]) -> Vec<u8> {
        let mut converter = CrlfToLf::default();
        let mut out = Vec::new();
        for chunk in chunks {
            converter.convert(chunk, &mut out);
        }
        converter.finish(&mut out);
        out
    }

    fn send(chunks: &[&[u8]]) -> Vec<u8> {
        let mut converter = LfToCrlf::default();
        let mut out = Vec::new();
        for chunk in chunks {
            converter.convert(chunk, &mut out);
        }
        out
    }

    #[test]
    fn receive_converts_crlf_on_every_split() {
        let input = b"a\r\nb\rc\r\n\r\nd\r";
        for split in 0..=input.len() {
            assert_eq!(receive(&[&input[..split], &input[split..]]), b"a\nb\rc\n\nd\r", "split {split}");
        }
    }

    #[test]
    fn send_converts_lf_on_every_split() {
        let input = b"a\nb\r\nc\n\nd\r";
        for split in 0..=input.len() {
            assert_eq!(send(&[&input[..split], &input[split..]]), b"a\r\nb\r\nc\r\n\r\nd\r", "split {split}");
        }
    }

    #[test]
    fn round_trip_of_lf_text() {
        let text = b"line one\nline two\n\nlast";
        assert_eq!(receive(&[&send(&[text])]), text);
    }

    proptest::proptest! {
        #[test]
        fn round_trip_without_cr(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200), split in 0usize..400) {
            let data: Vec<u8> = data.into_iter().filter(|&b| b != b'\r').collect();
            let sent = send(&[&data[..]]);
            let split = split.min(sent.len());
            proptest::prop_assert_eq!(receive(&[&sent[..split], &sent[split..]]), data);
        }
    }
}
