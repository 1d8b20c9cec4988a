//! Personal data inside verbatims: emails, phone numbers (French, UK, US forms), IBANs and
//! card numbers are masked in everything written for people to read (followup.csv comments,
//! summaries), unless --no-mask.

/// Replace personal data in `text` with `[email]`, `[phone]`, `[iban]`, `[card]`.
pub fn mask(text: &str) -> String {
    let emails: Vec<String> =
        text.split(' ').map(|t| if is_email(t) { keep_punct(t, "[email]") } else { t.to_string() }).collect();
    let text = emails.join(" ");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((end, tag)) = iban_at(&chars, i).or_else(|| number_at(&chars, i)) {
            out.push_str(tag);
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn keep_punct(original: &str, tag: &str) -> String {
    let trail: String =
        original.chars().rev().take_while(|c| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')')).collect();
    format!("{tag}{}", trail.chars().rev().collect::<String>())
}

fn is_email(t: &str) -> bool {
    let t = t.trim_matches(|c: char| !c.is_alphanumeric());
    match t.split_once('@') {
        Some((user, domain)) => !user.is_empty() && domain.contains('.') && !domain.ends_with('.'),
        None => false,
    }
}

/// An IBAN starting at `i` (word start): 2 letters, 2 digits, then letters, digits and
/// single spaces up to 15-34 characters. Returns the end and the tag.
fn iban_at(c: &[char], i: usize) -> Option<(usize, &'static str)> {
    if i > 0 && c[i - 1].is_alphanumeric() {
        return None;
    }
    let ok = c.len() >= i + 4
        && c[i].is_ascii_uppercase()
        && c[i + 1].is_ascii_uppercase()
        && c[i + 2].is_ascii_digit()
        && c[i + 3].is_ascii_digit();
    if !ok {
        return None;
    }
    let (mut j, mut n, mut last) = (i, 0, i);
    let part = |x: char| x.is_ascii_digit() || x.is_ascii_uppercase();
    while j < c.len() && n < 34 && (part(c[j]) || (c[j] == ' ' && j + 1 < c.len() && part(c[j + 1]))) {
        if c[j] != ' ' {
            n += 1;
            last = j + 1;
        }
        j += 1;
    }
    (15..=34).contains(&n).then_some((last, "[iban]"))
}

/// A phone or card number starting at `i`: `+`? digit, then digits, spaces, dots, dashes
/// and parentheses, ending on a digit.
fn number_at(c: &[char], i: usize) -> Option<(usize, &'static str)> {
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '+') {
        return None;
    }
    let plus = c[i] == '+';
    let start = if plus { i + 1 } else { i };
    if start >= c.len() || !c[start].is_ascii_digit() {
        return None;
    }
    let (mut j, mut end) = (start, start);
    let mut digits = String::new();
    while j < c.len() && (c[j].is_ascii_digit() || matches!(c[j], ' ' | '.' | '-' | '(' | ')')) {
        if c[j].is_ascii_digit() {
            digits.push(c[j]);
            end = j + 1;
        }
        j += 1;
    }
    if end < c.len() && c[end].is_alphanumeric() {
        return None;
    }
    let n = digits.len();
    let card = !plus && (13..=19).contains(&n) && luhn(&digits);
    let phone = (plus && digits.starts_with("33") && n == 11)
        || (plus && digits.starts_with("44") && (n == 11 || n == 12))
        || (plus && digits.starts_with('1') && n == 11)
        || (!plus && digits.starts_with('0') && (n == 10 || (digits.starts_with("07") && n == 11)));
    if card {
        Some((end, "[card]"))
    } else if phone {
        Some((end, "[phone]"))
    } else {
        None
    }
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_personal_data() {
        assert_eq!(mask("écrivez à jean.dupont@example.fr merci"), "écrivez à [email] merci");
        assert_eq!(mask("appelez le 06 12 34 56 78."), "appelez le [phone].");
        assert_eq!(mask("mon numéro +33 6 12 34 56 78"), "mon numéro [phone]");
        assert_eq!(mask("call 07700 900123 please"), "call [phone] please");
        assert_eq!(mask("call +44 7700 900123"), "call [phone]");
        assert_eq!(mask("US: +1 415 555 0132"), "US: [phone]");
        assert_eq!(mask("IBAN FR76 3000 6000 0112 3456 7890 189 svp"), "IBAN [iban] svp");
        assert_eq!(mask("card 4111 1111 1111 1111"), "card [card]");
        // Not personal data.
        assert_eq!(mask("45 minutes d'attente, 3 fois, 2026"), "45 minutes d'attente, 3 fois, 2026");
        assert_eq!(mask("version 3.5 plante"), "version 3.5 plante");
        assert_eq!(mask("facturé 29,99 euros"), "facturé 29,99 euros");
    }
}
