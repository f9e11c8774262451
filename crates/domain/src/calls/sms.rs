//! SMS texts that fit one message: only characters of the GSM 03.38 basic
//! set (one septet each), at most 160 of them. Other characters are
//! spelt with basic ones ("€" as "EUR", "„" as '"'), so no gateway
//! switches to UCS-2 (70 characters) or splits the message.

/// The most characters of one GSM-7 SMS.
pub const SMS_MAX: usize = 160;

const BASIC: &str = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// True when `c` takes one septet in GSM-7.
pub fn is_basic(c: char) -> bool {
    BASIC.contains(c)
}

fn spell(c: char) -> &'static str {
    match c {
        '€' => "EUR",
        '„' | '“' | '”' | '«' | '»' => "\"",
        '‚' | '‘' | '’' | '`' | '´' => "'",
        '–' | '—' | '~' => "-",
        '…' => "...",
        '[' | '{' => "(",
        ']' | '}' => ")",
        '\\' | '|' => "/",
        '^' => "",
        'á' | 'â' | 'ã' => "a",
        'Á' | 'À' | 'Â' | 'Ã' => "A",
        'ê' | 'ë' => "e",
        'È' | 'Ê' | 'Ë' => "E",
        'í' | 'î' | 'ï' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' => "I",
        'ó' | 'ô' | 'õ' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' => "O",
        'ú' | 'û' => "u",
        'Ú' | 'Ù' | 'Û' => "U",
        'ç' => "c",
        'ý' | 'ÿ' => "y",
        'š' => "s",
        'Š' => "S",
        'ž' => "z",
        'Ž' => "Z",
        'ł' => "l",
        'Ł' => "L",
        _ => "?",
    }
}

/// `text` in the GSM-7 basic set on one line, cut to [`SMS_MAX`] with "...".
pub fn sms_text(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if is_basic(c) {
                out.push(c);
            } else {
                out.push_str(spell(c));
            }
        }
    }
    if out.chars().count() <= SMS_MAX {
        return out;
    }
    let mut cut: String = out.chars().take(SMS_MAX - 3).collect();
    cut.truncate(cut.trim_end().len());
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_umlauts_and_spells_the_rest() {
        assert_eq!(sms_text("Müller: „Angebot“ – 5 €"), "Müller: \"Angebot\" - 5 EUR");
        assert_eq!(sms_text("a\n\tb  [x]"), "a b (x)");
        assert_eq!(sms_text("😀 ok"), "? ok");
    }

    #[test]
    fn fits_one_message() {
        let long = "Rückruf erbeten € ".repeat(30);
        let s = sms_text(&long);
        assert_eq!(s.chars().count(), SMS_MAX);
        assert!(s.ends_with("..."));
        assert!(s.chars().all(is_basic));
    }
}
