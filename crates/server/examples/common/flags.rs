//! Command-line flags of the benchmark examples: `--name value` pairs.

use std::collections::HashMap;
use std::str::FromStr;

pub struct Flags(HashMap<String, String>);

impl Flags {
    /// Reads the command line; a flag not in `known` or without a value panics.
    pub fn parse(known: &[&str]) -> Flags {
        let mut values = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let name = flag.strip_prefix("--").unwrap_or_else(|| panic!("unexpected {flag}"));
            assert!(known.contains(&name), "unknown flag {flag}");
            let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
            values.insert(name.to_string(), value);
        }
        Flags(values)
    }

    /// The flag's value, or `default` when it was not given.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.0.get(name) {
            Some(v) => v.parse().unwrap_or_else(|_| panic!("--{name}: cannot read {v:?}")),
            None => default,
        }
    }
}
