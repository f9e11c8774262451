//! Company cards, their team and back office, as the rest of the system
//! sees them; input types are validated here, at the boundary.

use kernel::{DomainError, DomainResult, FieldError, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// Longest card name, description, request message.
pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 2000;
pub const MAX_MESSAGE: usize = 1000;
/// A share's note: at most 150 characters as people count them.
pub const MAX_NOTE: usize = 150;
/// Topics per card and characters per topic.
pub const MAX_TOPICS: usize = 10;
pub const MAX_TOPIC: usize = 40;

/// Characters as a person counts them: "ä" (even written as a + ◌̈) and
/// "👩‍💻" are one each (Unicode grapheme clusters).
pub fn char_count(s: &str) -> usize {
    s.graphemes(true).count()
}

/// A share's note, trimmed, at most [`MAX_NOTE`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note150(String);

impl Note150 {
    pub fn parse(raw: &str, field: &str) -> DomainResult<Self> {
        let note = raw.trim();
        if char_count(note) > MAX_NOTE {
            return Err(DomainError::validation_with(
                field,
                "too_long",
                vec![("max", MAX_NOTE.to_string())],
            ));
        }
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DomainError::validation(field, "invalid"));
        }
        Ok(Note150(note.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A company card as the public and its team see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Card {
    #[serde(skip)]
    pub id: i64,
    /// Used in links.
    #[serde(rename = "id")]
    pub public_id: String,
    pub name: String,
    pub description: String,
    /// The responsible contact; shown only to the team.
    #[serde(skip)]
    pub contact_email: String,
    pub phone: String,
    pub website: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub topics: Vec<String>,
    /// Path of the logo image, if there is one.
    pub logo: Option<String>,
    /// The Info Counter's room (public id).
    #[serde(skip)]
    pub counter_room: String,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

/// Public data of a card as typed (create, edit, maintenance link).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    /// Separated by commas.
    #[serde(default)]
    pub topics: String,
}

/// [`CardInput`] after checking.
#[derive(Debug, Clone)]
pub struct CardData {
    pub name: String,
    pub description: String,
    pub phone: String,
    pub website: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub topics: Vec<String>,
}

fn text(errors: &mut Vec<FieldError>, field: &str, raw: &str, max: usize, required: bool) -> String {
    let v = raw.trim();
    if required && v.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if char_count(v) > max {
        errors.push(FieldError::with(field, "too_long", vec![("max", max.to_string())]));
    }
    v.to_string()
}

impl CardInput {
    pub fn check(&self) -> DomainResult<CardData> {
        let mut e = Vec::new();
        let name = text(&mut e, "name", &self.name, MAX_NAME, true);
        let description = text(&mut e, "description", &self.description, MAX_DESCRIPTION, false);
        let phone = text(&mut e, "phone", &self.phone, 40, false);
        if !phone.is_empty() && !phone.chars().all(|c| c.is_ascii_digit() || " +-/()".contains(c)) {
            e.push(FieldError::new("phone", "phone_invalid"));
        }
        let mut website = text(&mut e, "website", &self.website, 200, false);
        if !website.is_empty() {
            if !website.contains("://") {
                website = format!("https://{website}");
            }
            let ok = url::Url::parse(&website)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| h.contains('.')))
                .unwrap_or(false);
            if !ok {
                e.push(FieldError::new("website", "url_invalid"));
            }
        }
        let street = text(&mut e, "street", &self.street, 100, false);
        let postal_code = text(&mut e, "postal_code", &self.postal_code, 10, false);
        let city = text(&mut e, "city", &self.city, 60, false);
        let mut topics: Vec<String> = Vec::new();
        for t in self.topics.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if char_count(t) > MAX_TOPIC {
                e.push(FieldError::with(
                    "topics",
                    "topic_too_long",
                    vec![("max", MAX_TOPIC.to_string())],
                ));
                break;
            }
            if !topics.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
                topics.push(t.to_string());
            }
        }
        if topics.len() > MAX_TOPICS {
            e.push(FieldError::with(
                "topics",
                "too_many",
                vec![("max", MAX_TOPICS.to_string())],
            ));
        }
        if !e.is_empty() {
            return Err(DomainError::Validation(e));
        }
        Ok(CardData {
            name,
            description,
            phone,
            website,
            street,
            postal_code,
            city,
            topics,
        })
    }
}

/// The words a card or person is found by: lower case, split at anything
/// but letters and digits, plus the spelling without umlauts ("müller" →
/// "muller", "mueller").
pub fn search_terms(texts: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in texts {
        for w in t
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let w: String = w.chars().take(40).collect();
            for v in [w.clone(), fold(&w, false), fold(&w, true)] {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// "ä" → "a" (or "ae" when `expand`), "ß" → "ss".
fn fold(w: &str, expand: bool) -> String {
    let mut s = String::with_capacity(w.len());
    for c in w.chars() {
        match (c, expand) {
            ('ä', false) => s.push('a'),
            ('ö', false) => s.push('o'),
            ('ü', false) => s.push('u'),
            ('ä', true) => s.push_str("ae"),
            ('ö', true) => s.push_str("oe"),
            ('ü', true) => s.push_str("ue"),
            ('ß', _) => s.push_str("ss"),
            (c, _) => s.push(c),
        }
    }
    s
}

/// The term of a topic, for the directory's topic filter.
pub fn topic_term(topic: &str) -> String {
    format!("t:{}", topic.trim().to_lowercase())
}

/// A search as typed: its words (at most 5), normalized like terms.
pub fn query_words(q: &str) -> Vec<String> {
    q.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(5)
        .map(|w| w.chars().take(40).collect())
        .collect()
}

/// One word of a directory search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchWord {
    /// Begins a word of the card ("log" finds "Logistik").
    Prefix(String),
    /// Is a whole word: a single letter begins a third of all words, so
    /// "a" only finds the word "a".
    Whole(String),
}

impl SearchWord {
    pub fn of(word: String) -> Self {
        if word.chars().count() == 1 {
            SearchWord::Whole(word)
        } else {
            SearchWord::Prefix(word)
        }
    }
}

/// A directory search.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    pub words: Vec<SearchWord>,
    pub topic: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// One page of the directory.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DirectoryPage {
    pub cards: Vec<Card>,
    /// All matches (for "page 2 of 7").
    pub total: i64,
}

/// A team member with the settings that matter on the card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamMember {
    pub user_id: UserId,
    pub name: String,
    #[serde(skip)]
    pub email: String,
    pub position: String,
    pub networking: bool,
    pub show_as_contact: bool,
    pub standby: bool,
    #[schema(value_type = i64)]
    pub added_at: Timestamp,
}

impl TeamMember {
    /// Counts for the Info Counter: networking, show as contact and
    /// standby all on.
    pub fn counts_for_counter(&self) -> bool {
        self.networking && self.show_as_contact && self.standby
    }
    /// Listed as a contact on the public card.
    pub fn is_public_contact(&self) -> bool {
        self.networking && self.show_as_contact
    }
}

/// One line of a card's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    #[schema(value_type = i64)]
    pub at: Timestamp,
    /// Who did it (absent: the system or the maintenance link).
    pub actor: Option<String>,
    /// `created`, `contact_linked`, `member_added`, `member_removed`, `edited`,
    /// `edited_by_link`, `standby_off`, `link_rotated`, `logo_changed`.
    pub event: String,
    pub detail: String,
}

/// Contact request ("register interest") or meeting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Contact,
    Meeting,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Contact => "contact",
            RequestKind::Meeting => "meeting",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contact" => Some(RequestKind::Contact),
            "meeting" => Some(RequestKind::Meeting),
            _ => None,
        }
    }
}

/// A visitor's request as typed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub kind: RequestKind,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub message: String,
    /// Meeting requests: the wished time (ms since the epoch).
    #[serde(default)]
    pub preferred_at: Option<i64>,
}

/// A stored request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardRequest {
    pub id: i64,
    pub kind: RequestKind,
    pub name: String,
    pub email: String,
    pub company: String,
    pub message: String,
    pub preferred_at: Option<i64>,
    /// `open` or `done`.
    pub status: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
}

/// A checked request, ready to store.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub kind: RequestKind,
    pub name: String,
    pub email: String,
    pub company: String,
    pub message: String,
    pub preferred_at: Option<Timestamp>,
}

impl RequestInput {
    pub fn check(&self, now: Timestamp) -> DomainResult<NewRequest> {
        let mut e = Vec::new();
        let name = text(&mut e, "name", &self.name, 80, true);
        let email = match kernel::EmailAddress::parse(&self.email, "email") {
            Ok(a) => a.normalized(),
            Err(DomainError::Validation(mut fe)) => {
                e.append(&mut fe);
                String::new()
            }
            Err(other) => return Err(other),
        };
        let company = text(&mut e, "company", &self.company, 100, false);
        let message = text(&mut e, "message", &self.message, MAX_MESSAGE, false);
        let preferred_at = match (self.kind, self.preferred_at) {
            (RequestKind::Meeting, Some(t)) if t <= now.millis() => {
                e.push(FieldError::new("preferred_at", "in_past"));
                None
            }
            (RequestKind::Meeting, Some(t)) => Some(Timestamp(t)),
            _ => None,
        };
        if !e.is_empty() {
            return Err(DomainError::Validation(e));
        }
        Ok(NewRequest {
            kind: self.kind,
            name,
            email,
            company,
            message,
            preferred_at,
        })
    }
}

/// A logo ready to store: a PNG of at most 256×256 pixels.
#[derive(Debug, Clone)]
pub struct Logo(pub Vec<u8>);

/// Everything the back office shows at once, read with one access check.
#[derive(Debug, Clone)]
pub struct BackOffice {
    pub card: Card,
    pub team: Vec<TeamMember>,
    pub requests: Vec<CardRequest>,
    pub counter_open: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_count_characters_as_people_do() {
        let emoji = "😀".repeat(150);
        assert!(Note150::parse(&emoji, "note").is_ok());
        let too_long = "😀".repeat(151);
        let e = Note150::parse(&too_long, "note").unwrap_err();
        assert_eq!(e.field_errors()[0].code, "too_long");
        // Decomposed umlauts and ZWJ sequences are one character each.
        assert!(Note150::parse(&"a\u{308}".repeat(150), "note").is_ok());
        assert!(Note150::parse(&"👩\u{200d}💻".repeat(150), "note").is_ok());
        assert!(Note150::parse(&"ü".repeat(151), "note").is_err());
    }

    #[test]
    fn terms_fold_umlauts() {
        let t = search_terms(&["Müller & Söhne GmbH"]);
        for w in ["müller", "muller", "mueller", "söhne", "sohne", "soehne", "gmbh"] {
            assert!(t.contains(&w.to_string()), "{w} in {t:?}");
        }
        assert_eq!(query_words("  Müller,  GmbH "), vec!["müller", "gmbh"]);
    }

    #[test]
    fn card_input_is_checked() {
        let input = CardInput {
            name: " ".into(),
            website: "not a url".into(),
            topics: "a, A, b".into(),
            ..Default::default()
        };
        let e = input.check().unwrap_err();
        let fields: Vec<_> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "website"]);
        let ok = CardInput {
            name: "Muster AG".into(),
            website: "muster.example".into(),
            topics: "Logistik, logistik, Beratung".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(ok.website, "https://muster.example");
        assert_eq!(ok.topics, vec!["Logistik", "Beratung"]);
    }
}
