// The i18n! macro reads locales/*.yml at compile time; tell cargo to
// rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=../../locales");
}
