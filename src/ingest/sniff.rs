//! Byte-level sniffing: text encoding and field delimiter.

use std::borrow::Cow;

/// Decode a delimited file to UTF-8 text. Returns the text and the encoding's name.
///
/// Order: a BOM decides (UTF-8, UTF-16 LE, UTF-16 BE); then valid UTF-8 is UTF-8; then
/// text with many NUL bytes is BOM-less UTF-16; anything else is Windows-1252, the
/// encoding French Excel writes CSV in (every byte sequence decodes, so accents survive).
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest), "UTF-8 (BOM)");
    }
    if bytes.starts_with(b"\xFF\xFE") {
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return (text, "UTF-16LE");
    }
    if bytes.starts_with(b"\xFE\xFF") {
        let (text, _, _) = encoding_rs::UTF_16BE.decode(bytes);
        return (text, "UTF-16BE");
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), "UTF-8");
    }
    let head = &bytes[..bytes.len().min(4096)];
    let nul_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let nul_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if nul_odd > head.len() / 4 {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return (text, "UTF-16LE (no BOM)");
    }
    if nul_even > head.len() / 4 {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return (text, "UTF-16BE (no BOM)");
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    (text, "windows-1252")
}

/// Candidate delimiters, in order of preference when the evidence ties.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Pick the delimiter that splits the first records into the most consistent number of
/// fields (quote-aware: the CSV parser itself is run with each candidate).
pub fn sniff_delimiter(text: &str) -> u8 {
    let sample = sample_lines(text, 64 * 1024);
    let mut best = (b',', 0.0f64, 0usize);
    for &d in &DELIMITERS {
        let mut rdr =
            csv::ReaderBuilder::new().delimiter(d).has_headers(false).flexible(true).from_reader(sample.as_bytes());
        let counts: Vec<usize> = rdr.records().take(50).filter_map(|r| r.ok()).map(|r| r.len()).collect();
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == header).count() as f64 / counts.len() as f64;
        if consistent > best.1 + 1e-9 || ((consistent - best.1).abs() < 1e-9 && header > best.2) {
            best = (d, consistent, header);
        }
    }
    best.0
}

/// The first `max` bytes of `text`, cut at a line end so no record is truncated
/// (except a record longer than the sample itself).
fn sample_lines(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind('\n') {
        Some(i) if i > 0 => &text[..i],
        _ => &text[..end],
    }
}

/// A .json file whose first non-blank line is a complete JSON object.
pub fn looks_like_ndjson(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]);
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_is_stripped() {
        let (t, e) = decode(b"\xEF\xBB\xBFscore,comment\n9,caf\xC3\xA9\n");
        assert_eq!(e, "UTF-8 (BOM)");
        assert!(t.starts_with("score"));
        assert!(t.contains("café"));
    }

    #[test]
    fn utf16_le_and_be_with_bom() {
        let text = "note;commentaire\n9;très bien\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&le), (Cow::Owned::<str>(text.to_string()), "UTF-16LE"));
        assert_eq!(decode(&be).0, text);
        assert_eq!(decode(&be).1, "UTF-16BE");
    }

    #[test]
    fn windows_1252_keeps_accents() {
        // "Très déçu, trop cher" in Windows-1252, with the euro sign (0x80).
        let bytes = b"note;commentaire\n2;Tr\xE8s d\xE9\xE7u, trop cher \x80\n";
        let (t, e) = decode(bytes);
        assert_eq!(e, "windows-1252");
        assert!(t.contains("Très déçu, trop cher €"));
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n4,5,6\n"), b',');
        assert_eq!(sniff_delimiter("note;commentaire\n9;bien, vraiment\n3;nul\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2, 3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2|3\n"), b'|');
        // Commas inside quotes do not fool it.
        assert_eq!(sniff_delimiter("id;score;comment\n1;9;\"a, b, c, d\"\n2;3;\"x, y\"\n"), b';');
    }

    #[test]
    fn ndjson_detection() {
        assert!(looks_like_ndjson(b"{\"score\": 9}\n{\"score\": 3}\n"));
        assert!(!looks_like_ndjson(b"[{\"score\": 9}]"));
    }
}
