//! Comment normalisation: HTML removed, line breaks written as escapes ("\\n") read as
//! line breaks, Unicode NFC, control characters and runs of whitespace collapsed;
//! placeholders ("-", "n/a", ".") count as no comment.

use unicode_normalization::UnicodeNormalization;

/// Normalised comment text ("" for none).
pub fn normalize(raw: &str) -> String {
    let no_html = strip_html(&unescape_breaks(raw));
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

/// The text the models read: @mentions removed ("@Freebox ma box coupe" -> "ma box
/// coupe"). A mention addresses an account (tweets and social posts start with the
/// company's handle); its words are a name, not what the comment is about, and a handle
/// like "@Freebox" or "@SkyHelpTeam" otherwise reads as a theme. Emails are kept (their
/// "@" follows a letter).
pub fn without_mentions(s: &str) -> String {
    if !s.contains('@') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, ch)) = chars.next() {
        let starts_mention = ch == '@'
            && prev.is_none_or(|p| !p.is_alphanumeric() && p != '_')
            && s[i + 1..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if starts_mention {
            while chars.peek().is_some_and(|&(_, c)| c.is_ascii_alphanumeric() || c == '_') {
                chars.next();
            }
            prev = Some(' ');
            continue;
        }
        out.push(ch);
        prev = Some(ch);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Answers that mean "no comment" in exports: kept as empty comments, not sent to the model.
fn is_placeholder(s: &str) -> bool {
    const NONE: [&str; 12] = ["-", "--", ".", "..", "...", "/", "n/a", "na", "none", "null", "nan", "#n/a"];
    s.chars().all(|c| !c.is_alphanumeric()) || NONE.contains(&s.to_lowercase().as_str())
}

/// Line breaks and tabs that an export wrote as escapes (a backslash then `n`, `r` or `t`:
/// social-listening and JSON-based tools do) become spaces: left in, "fil.\\nOn fait
/// comment" reads as the word "nOn". A text with a path ("C:\\new") or an escaped backslash
/// ("\\\\n") keeps its backslashes.
fn unescape_breaks(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\\') || s.contains(":\\") || s.contains("\\\\") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('n' | 'r' | 't')) {
            chars.next();
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
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
    fn escaped_line_breaks_are_spaces_paths_kept() {
        assert_eq!(
            normalize(r"personne au bout du fil. \nOn fait comment ?"),
            "personne au bout du fil. On fait comment ?"
        );
        assert_eq!(normalize(r"Slow.\r\nNever again\tbye"), "Slow. Never again bye");
        assert_eq!(normalize(r"saved to C:\new\report.txt"), r"saved to C:\new\report.txt");
        assert_eq!(normalize(r"a \\n b"), r"a \\n b");
        assert_eq!(normalize(r"smiley \o/"), r"smiley \o/");
    }

    #[test]
    fn mentions_are_removed_for_the_models_emails_kept() {
        assert_eq!(without_mentions("@Telvia @Telvia_Help ma box coupe"), "ma box coupe");
        assert_eq!(without_mentions("'@Freebox , plus de co"), "' , plus de co");
        assert_eq!(without_mentions("merci (@SkyHelp) pour rien"), "merci () pour rien");
        assert_eq!(without_mentions("écrire à jean.dupont@mail.fr svp"), "écrire à jean.dupont@mail.fr svp");
        assert_eq!(without_mentions("note @ 10h, 2 @ 5€"), "note @ 10h, 2 @ 5€");
        assert_eq!(without_mentions("@Freebox"), "");
        assert_eq!(without_mentions("sans mention"), "sans mention");
    }

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
