//! Composes e-mails from translated texts. Every mail has a plain-text and
//! an HTML part with the same content; links are spelled out in the text
//! part so they work in any client.

use askama::Template;
use kernel::{tr, tr_args, AccountId, Lang};

use crate::outbox::{Attachment, Channel, NewMessage};

/// A mail under construction. Texts come from `<key>.subject` and
/// `<key>.body` (paragraphs separated by blank lines, `%{name}` args).
pub struct Mail {
    lang: Lang,
    key: String,
    args: Vec<(String, String)>,
    button: Option<(String, String)>,
    cc: Vec<String>,
    attachments: Vec<Attachment>,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    paragraphs: Vec<&'a str>,
    button: Option<(String, &'a str)>,
    footer: String,
}

impl Mail {
    pub fn new(lang: Lang, key: &str) -> Self {
        Mail {
            lang,
            key: key.to_string(),
            args: Vec::new(),
            button: None,
            cc: Vec::new(),
            attachments: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: &str) -> Self {
        self.args.push((name.to_string(), value.to_string()));
        self
    }

    /// A call-to-action button; its label is a translation key.
    pub fn button(mut self, label_key: &str, url: &str) -> Self {
        self.button = Some((label_key.to_string(), url.to_string()));
        self
    }

    pub fn cc(mut self, cc: Vec<String>) -> Self {
        self.cc = cc;
        self
    }

    pub fn attach(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }

    fn text(&self, suffix: &str) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        tr_args(self.lang, &format!("{}.{suffix}", self.key), &args)
    }

    /// The finished message for the outbox.
    pub fn to(self, account_id: Option<AccountId>, recipient: &str) -> NewMessage {
        let subject = self.text("subject");
        let body = self.text("body");
        let footer = tr(self.lang, "mail.footer");
        let mut text = body.trim_end().to_string();
        let button = self
            .button
            .as_ref()
            .map(|(label, url)| (tr(self.lang, label), url.as_str()));
        if let Some((label, url)) = &button {
            text.push_str(&format!("\n\n{label}:\n{url}"));
        }
        text.push_str(&format!("\n\n-- \n{footer}\n"));
        let html = MailHtml {
            lang: self.lang.code(),
            subject: &subject,
            paragraphs: body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect(),
            button: button.clone(),
            footer: footer.clone(),
        }
        .render()
        .ok();
        NewMessage {
            idempotency_key: crate::token::new_token(),
            channel: Channel::Email,
            account_id,
            recipient: recipient.to_string(),
            cc: self.cc,
            subject,
            body_text: text,
            body_html: html,
            attachments: self.attachments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_and_html_with_args_escaped() {
        let m = Mail::new(Lang::De, "mail.account_welcome")
            .arg("company", "Müller & Söhne <GmbH>")
            .arg("customer_number", "K-1")
            .button("mail.account_welcome.button", "https://kontor.example/register")
            .to(None, "a@b.de");
        assert!(m.subject.contains("Müller & Söhne"));
        assert!(m.body_text.contains("https://kontor.example/register"));
        let html = m.body_html.unwrap();
        assert!(html.contains("Müller &#38; Söhne &#60;GmbH&#62;") || html.contains("Müller &amp; Söhne &lt;GmbH&gt;"));
        assert!(html.contains("href=\"https://kontor.example/register\""));
    }
}
