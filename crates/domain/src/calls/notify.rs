//! The notifications after a call: an e-mail to the employee (with CC)
//! holding the transfer confirmation or the whole note, an SMS summary
//! when the employee wants SMS, and an SMS when a VIP called and the
//! employee wants VIP SMS. They are written to the outbox in the same
//! transaction as the note.

use chrono_tz::Tz;
use kernel::{tr, tr_args, AccountId, Lang, Timestamp};

use super::sms::sms_text;
use super::{Call, NewNote, Outcome};
use crate::mail::Mail;
use crate::outbox::NewMessage;
use crate::secretary::Employee;

/// What the messages are about.
pub struct Notice<'a> {
    pub lang: Lang,
    pub account: AccountId,
    pub tz: Tz,
    pub call: &'a Call,
    pub note: &'a NewNote,
    pub employee: &'a Employee,
    /// Name on the VIP list when the caller is a VIP.
    pub vip_name: Option<&'a str>,
    /// The call's page in the portal.
    pub link: String,
}

fn local_time(t: Timestamp, tz: Tz) -> String {
    t.to_datetime().with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

/// The note as lines "Label: value" (empty fields left out).
pub fn details(lang: Lang, note: &NewNote) -> String {
    let mut lines = Vec::new();
    let mut add = |label: String, value: &str| {
        if !value.trim().is_empty() {
            lines.push(format!("{label}: {}", value.trim()));
        }
    };
    add(tr(lang, "calls.field.caller_name"), &note.caller_name);
    add(tr(lang, "calls.field.company"), &note.company);
    add(tr(lang, "calls.field.phone"), &note.phone);
    add(tr(lang, "calls.field.concern"), &note.concern);
    for e in &note.extra {
        add(e.label.clone(), &e.value);
    }
    lines.join("\n")
}

/// The outbox messages for one sent (or corrected) note.
pub fn messages(n: &Notice) -> Vec<NewMessage> {
    let lang = n.lang;
    let note = n.note;
    let key = match note.outcome {
        Outcome::Connected => "mail.call_connected",
        Outcome::Message => "mail.call_message",
    };
    let mut extra = Vec::new();
    if let Some(vip) = n.vip_name {
        extra.push(tr_args(lang, "mail.call_vip", &[("name", vip)]));
    }
    if note.corrects_id.is_some() {
        extra.push(tr(lang, "mail.call_correction"));
    }
    let prefix = if note.corrects_id.is_some() {
        tr(lang, "mail.call_correction_prefix")
    } else {
        String::new()
    };
    let time = local_time(n.call.received_at, n.tz);
    let mail = Mail::new(lang, key)
        .arg("prefix", &prefix)
        .arg("employee", &n.employee.name)
        .arg("caller", &note.caller_name)
        .arg("phone", &note.phone)
        .arg("connected_to", &note.connected_to)
        .arg("time", &time)
        .arg("agent", &note.agent_name)
        .arg("details", &details(lang, note))
        .arg("remarks", &extra.join("\n\n"))
        .button("mail.call_button", &n.link)
        .cc(n.employee.cc.clone());
    let mut out = vec![mail.to(Some(n.account), &n.employee.email)];
    if note.corrects_id.is_some() {
        return out;
    }
    let Some(mobile) = n.employee.mobile.as_deref() else {
        return out;
    };
    if n.employee.sms_enabled {
        let text = match note.outcome {
            Outcome::Connected => tr_args(
                lang,
                "sms.call_connected",
                &[
                    ("caller", &note.caller_name),
                    ("phone", &note.phone),
                    ("connected_to", &note.connected_to),
                ],
            ),
            Outcome::Message => tr_args(
                lang,
                "sms.call_message",
                &[
                    ("caller", &note.caller_name),
                    ("company", &note.company),
                    ("phone", &note.phone),
                    ("concern", &note.concern),
                ],
            ),
        };
        // An empty company would leave "()" behind.
        out.push(NewMessage::sms(
            Some(n.account),
            mobile,
            &sms_text(&text.replace(" ()", "")),
        ));
    }
    if let (Some(vip), true) = (n.vip_name, n.employee.vip_sms) {
        let text = tr_args(
            lang,
            "sms.call_vip",
            &[("name", vip), ("phone", &n.call.caller_id), ("time", &time)],
        );
        out.push(NewMessage::sms(Some(n.account), mobile, &sms_text(&text)));
    }
    out
}
