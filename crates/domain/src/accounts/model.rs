use kernel::{AccountId, DomainError, DomainResult, EmailAddress, Timestamp};
use serde::{Deserialize, Serialize};

/// A customer account as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub customer_number: String,
    pub postal_code: String,
    pub name: String,
    pub street: String,
    pub city: String,
    pub country: String,
    pub tariff: String,
    pub contact_email: Option<String>,
    pub time_zone: String,
    pub status: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
}

/// What the operator types to create an account (API and form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub customer_number: String,
    pub postal_code: String,
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub tariff: String,
    #[serde(default)]
    pub contact_email: Option<String>,
}

/// A validated account ready to be stored.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub customer_number: String,
    pub postal_code: String,
    pub name: String,
    pub street: String,
    pub city: String,
    pub country: String,
    pub tariff: String,
    pub contact_email: Option<EmailAddress>,
}

fn text(errors: &mut Vec<kernel::error::FieldError>, field: &str, raw: &str, required: bool, max: usize) -> String {
    let v = raw.trim().to_string();
    if required && v.is_empty() {
        errors.push(kernel::error::FieldError::new(field, "required"));
    } else if v.chars().count() > max {
        errors.push(kernel::error::FieldError::with(
            field,
            "too_long",
            vec![("max", max.to_string())],
        ));
    }
    v
}

impl NewAccount {
    /// Checks every field and reports all problems at once, each next to
    /// its field.
    pub fn parse(input: &AccountInput) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let customer_number = text(&mut errors, "customer_number", &input.customer_number, true, 20);
        if !customer_number.is_empty() && !customer_number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            errors.push(kernel::error::FieldError::new(
                "customer_number",
                "customer_number_invalid",
            ));
        }
        let postal_code = text(&mut errors, "postal_code", &input.postal_code, true, 10);
        if !postal_code.is_empty()
            && (postal_code.chars().count() < 3
                || !postal_code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'))
        {
            errors.push(kernel::error::FieldError::new("postal_code", "postal_code_invalid"));
        }
        let name = text(&mut errors, "name", &input.name, true, 200);
        let street = text(&mut errors, "street", &input.street, false, 200);
        let city = text(&mut errors, "city", &input.city, false, 100);
        let country = input.country.as_deref().unwrap_or("DE").trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            errors.push(kernel::error::FieldError::new("country", "country_invalid"));
        }
        let tariff = text(&mut errors, "tariff", &input.tariff, false, 100);
        let contact_email = match input.contact_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match EmailAddress::parse(raw, "contact_email") {
                Ok(e) => Some(e),
                Err(DomainError::Validation(mut es)) => {
                    errors.append(&mut es);
                    None
                }
                Err(e) => return Err(e),
            },
        };
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok(NewAccount {
            customer_number: customer_number.to_ascii_uppercase(),
            postal_code: postal_code.to_ascii_uppercase(),
            name,
            street,
            city,
            country,
            tariff,
            contact_email,
        })
    }
}

/// A page of accounts for lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountPage {
    pub items: Vec<Account>,
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AccountInput {
        AccountInput {
            customer_number: "k-10001".into(),
            postal_code: "10115".into(),
            name: "Mustermann AG".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_account_is_normalised() {
        let a = NewAccount::parse(&input()).unwrap();
        assert_eq!(a.customer_number, "K-10001");
        assert_eq!(a.country, "DE");
    }

    #[test]
    fn reports_every_bad_field() {
        let mut i = input();
        i.customer_number = "a b".into();
        i.postal_code = "".into();
        i.contact_email = Some("nope".into());
        let DomainError::Validation(errors) = NewAccount::parse(&i).unwrap_err() else {
            panic!("expected validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["customer_number", "postal_code", "contact_email"]);
    }
}
