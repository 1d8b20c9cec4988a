//! A value derived from the fields beside it: computed on first use, never serialised, and
//! left out of comparisons and copies (a copy computes it again from its own fields).

use std::sync::OnceLock;

#[derive(Default)]
pub struct Derived<T>(OnceLock<T>);

impl<T> Derived<T> {
    /// The value, computed by `f` the first time.
    pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(f)
    }
}

impl<T> Clone for Derived<T> {
    fn clone(&self) -> Self {
        Derived(OnceLock::new())
    }
}

/// Two values derived from equal fields are equal: only those fields are compared.
impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::fmt::Debug for Derived<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "Derived(computed)" } else { "Derived(not yet)" })
    }
}
