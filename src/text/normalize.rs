//! Comment normalisation: HTML removed, Unicode NFC, control characters and runs of
//! whitespace collapsed; placeholders ("-", "n/a", ".") count as no comment.

use unicode_normalization::UnicodeNormalization;

/// Normalised comment text ("" for none).
pub fn normalize(raw: &str) -> String {
    let no_html = strip_html(raw);
    let mut out = String::with_capacity(no_html.len());
    let mut space = false;
    for ch in no_html.nfc() {
        if ch.is_whitespace() || ch.is_control() || ch == '\u{200B}' || ch == '\u{FEFF}' {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(ch);
    }
    if is_placeholder(&out) {
        out.clear();
    }
    out
}

/// Answers that mean "no comment" in exports: kept as empty comments, not sent to the model.
fn is_placeholder(s: &str) -> bool {
    const NONE: [&str; 12] = ["-", "--", ".", "..", "...", "/", "n/a", "na", "none", "null", "nan", "#n/a"];
    s.chars().all(|c| !c.is_alphanumeric()) || NONE.contains(&s.to_lowercase().as_str())
}

/// Remove tags and decode the common entities (survey tools export rich-text answers).
fn strip_html(s: &str) -> String {
    if !s.contains('<') && !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('<') {
            // A tag: "<" followed by a letter, "/" or "!" up to ">".
            let is_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
            match (is_tag, tail.find('>')) {
                (true, Some(end)) => {
                    let tag = tail[1..end].to_ascii_lowercase();
                    if tag.starts_with("br") || tag.starts_with("/p") || tag.starts_with("p") || tag.starts_with("/div")
                    {
                        out.push(' ');
                    }
                    rest = &tail[end + 1..];
                }
                _ => {
                    out.push('<');
                    rest = after;
                }
            }
        } else {
            let end = tail[..tail.len().min(12)].find(';');
            let decoded = end.and_then(|e| decode_entity(&tail[1..e]));
            match (end, decoded) {
                (Some(e), Some(ch)) => {
                    out.push(ch);
                    rest = &tail[e + 1..];
                }
                _ => {
                    out.push('&');
                    rest = &tail[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "ecirc" => 'ê',
        "rsquo" => '\'',
        "euro" => '€',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_html_and_nfc() {
        assert_eq!(normalize("  Très   bien\n\tmerci  "), "Très bien merci");
        assert_eq!(
            normalize("<p>Service <b>lent</b></p><br/>trop cher &amp; compliqu&eacute;"),
            "Service lent trop cher & compliqué"
        );
        // "e" + combining acute accent becomes the single code point é.
        assert_eq!(normalize("tre\u{0300}s de\u{0301}c\u{0327}u"), "très déçu");
        assert_eq!(normalize("1 < 2 & 3 > 2"), "1 < 2 & 3 > 2");
        assert_eq!(normalize("<script>alert(1)</script>ok"), "alert(1)ok");
    }

    #[test]
    fn placeholders_are_empty() {
        for s in ["", "  ", "-", "N/A", "...", "none", "?!"] {
            assert_eq!(normalize(s), "", "{s:?}");
        }
        assert_eq!(normalize("RAS"), "RAS");
        assert_eq!(normalize("ok"), "ok");
    }
}
