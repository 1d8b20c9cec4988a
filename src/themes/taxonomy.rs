//! themes.toml: the user's taxonomy, validated with errors that name the theme and the fix.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Texts of one theme in one language.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LangTexts {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    /// Verbatims that look like this theme and are not (they draw its borders). Never
    /// prototypes; documentation for coders, and negatives where a model learns from them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counter_examples: Vec<String>,
}

impl LangTexts {
    fn is_empty(&self) -> bool {
        self.description.as_deref().is_none_or(|d| d.trim().is_empty())
            && self.keywords.is_empty()
            && self.examples.is_empty()
    }
}

/// One theme of the taxonomy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Theme {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// Per language code ("fr", "en", ...).
    #[serde(flatten)]
    pub languages: BTreeMap<String, LangTexts>,
}

impl Theme {
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.languages.values().flat_map(|l| l.keywords.iter().map(String::as_str))
    }

    /// Texts that describe the theme, embedded as its prototypes: descriptions, examples,
    /// and the keyword list of each language.
    pub fn prototype_texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in self.languages.values() {
            out.extend(l.description.iter().filter(|d| !d.trim().is_empty()).cloned());
            out.extend(l.examples.iter().cloned());
            if !l.keywords.is_empty() {
                out.push(l.keywords.join(", "));
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    theme: Vec<Theme>,
}

/// A validated taxonomy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Taxonomy {
    pub themes: Vec<Theme>,
}

impl Taxonomy {
    pub fn load(path: &Path) -> Result<Taxonomy, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Taxonomy, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("not a valid themes.toml: {e}"))?;
        let t = Taxonomy { themes: file.theme };
        t.validate()?;
        Ok(t)
    }

    /// Duplicate ids, unknown or cyclic parents, and themes with nothing to match on.
    pub fn validate(&self) -> Result<(), String> {
        if self.themes.is_empty() {
            return Err("no [[theme]] entry: add at least one theme with an id, a label and texts".into());
        }
        let mut ids = HashSet::new();
        for t in &self.themes {
            if t.id.trim().is_empty() || t.id.contains(';') {
                return Err(format!("theme '{}' (label '{}'): an id must be non-empty and hold no ';'", t.id, t.label));
            }
            if !ids.insert(t.id.as_str()) {
                return Err(format!("theme id '{}' is used twice: give each theme its own id", t.id));
            }
        }
        for t in &self.themes {
            if let Some(p) = &t.parent {
                if !ids.contains(p.as_str()) {
                    return Err(format!(
                        "theme '{}': parent '{p}' is not a theme id; add a theme '{p}' or fix the parent",
                        t.id
                    ));
                }
            }
            let has_children = self.themes.iter().any(|c| c.parent.as_deref() == Some(&t.id));
            if !has_children && t.languages.values().all(LangTexts::is_empty) {
                return Err(format!(
                    "theme '{}' has nothing to match on: give it, under [theme.fr] or [theme.en], a description, \
                     keywords or examples",
                    t.id
                ));
            }
            // Parent chains end.
            let mut seen = HashSet::new();
            let mut cur = Some(t);
            while let Some(c) = cur {
                if !seen.insert(c.id.as_str()) {
                    return Err(format!("theme '{}': its parents form a cycle; one theme must have no parent", t.id));
                }
                cur = c.parent.as_ref().and_then(|p| self.themes.iter().find(|x| &x.id == p));
            }
        }
        Ok(())
    }

    /// Themes that clauses are assigned to: those without children (parents are rolled up).
    pub fn leaves(&self) -> Vec<&Theme> {
        self.themes.iter().filter(|t| !self.themes.iter().any(|c| c.parent.as_deref() == Some(&t.id))).collect()
    }

    pub fn get(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }

    /// What the taxonomy teaches a classifier, as coded texts: each leaf's descriptions,
    /// examples and keywords (one text each) coded with the leaf, and so a negative of every
    /// other leaf; a leaf's counter-examples are negatives of that leaf alone (what a theme
    /// is not says nothing of the others: "charged twice", a counter-example of price, is
    /// billing).
    pub fn coded_texts(&self) -> crate::coded::Coded {
        let mut coded = crate::coded::Coded::new();
        for leaf in self.leaves() {
            for l in leaf.languages.values() {
                let positives =
                    l.description.iter().filter(|d| !d.trim().is_empty()).chain(&l.examples).chain(&l.keywords);
                for text in positives {
                    coded.push(text.clone(), vec![leaf.id.clone()]);
                }
                for text in &l.counter_examples {
                    coded.push_judged(text.clone(), Vec::new(), Some(vec![leaf.id.clone()]));
                }
            }
        }
        coded
    }

    /// Two-subject comments made of the taxonomy's examples: in each language, each leaf's
    /// example followed by `partners` examples of other leaves (spread over the list, so
    /// deterministic and varied), coded with both leaves. Real comments join subjects; a
    /// classifier that learnt only one-subject texts gives a comment that says two things
    /// lower scores than its thresholds (taken from those texts) expect.
    pub fn joined_examples(&self, partners: usize) -> crate::coded::Coded {
        let mut coded = crate::coded::Coded::new();
        let leaves = self.leaves();
        let langs: std::collections::BTreeSet<&String> = leaves.iter().flat_map(|l| l.languages.keys()).collect();
        for lang in langs {
            let examples: Vec<(&str, &str)> = leaves
                .iter()
                .filter_map(|l| l.languages.get(lang).map(|t| (l.id.as_str(), t)))
                .flat_map(|(id, t)| t.examples.iter().map(move |e| (id, e.trim())))
                .filter(|(_, e)| !e.is_empty())
                .collect();
            let n = examples.len();
            let stride = (n / (partners + 1)).max(1);
            for (i, (id, text)) in examples.iter().enumerate() {
                for j in 1..=partners {
                    let (other, second) = examples[(i + j * stride) % n];
                    if other == *id {
                        continue;
                    }
                    let mut themes = vec![id.to_string(), other.to_string()];
                    themes.sort();
                    coded.push(format!("{}. {second}", text.trim_end_matches(['.', '!', '?'])), themes);
                }
            }
        }
        coded
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn coded_texts_teach_leaves_and_borders() {
        let t = super::Taxonomy::parse(
            r#"
[[theme]]
id = "money"
label = "Money"
[theme.en]
description = "Anything about money"

[[theme]]
id = "price"
label = "Price"
parent = "money"
[theme.en]
description = "The price itself"
keywords = ["expensive"]
examples = ["too dear"]
counter_examples = ["charged twice"]
[theme.fr]
keywords = ["cher"]
"#,
        )
        .unwrap();
        let c = t.coded_texts();
        // The parent is no theme a clause gets: only the leaf's texts, in language order.
        assert_eq!(c.texts, ["The price itself", "too dear", "expensive", "charged twice", "cher"]);
        let price = vec!["price".to_string()];
        assert_eq!(c.themes, [price.clone(), price.clone(), price.clone(), vec![], price.clone()]);
        // The counter-example is judged on its own leaf alone, the rest on every theme.
        assert_eq!(c.judged, [None, None, None, Some(price), None]);
    }

    #[test]
    fn joined_examples_pair_leaves_of_one_language() {
        let t = super::Taxonomy::parse(
            r#"
[[theme]]
id = "price"
label = "Price"
[theme.en]
examples = ["too dear!", "cheap"]
[theme.fr]
examples = ["trop cher"]

[[theme]]
id = "network"
label = "Network"
[theme.en]
examples = ["no signal"]
[theme.fr]
examples = ["pas de réseau"]
"#,
        )
        .unwrap();
        let c = t.joined_examples(1);
        // "too dear!" falls on "cheap", of its own leaf: skipped, never one leaf twice.
        assert_eq!(
            c.texts,
            ["cheap. no signal", "no signal. too dear!", "trop cher. pas de réseau", "pas de réseau. trop cher"]
        );
        let both = vec!["network".to_string(), "price".to_string()];
        assert!(c.themes.iter().all(|th| *th == both), "{:?}", c.themes);
        assert!(c.judged.iter().all(Option::is_none));
        assert_eq!(t.joined_examples(1).texts, c.texts);
    }

    use super::*;

    #[test]
    fn shipped_taxonomy_is_valid() {
        let t = Taxonomy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/themes.toml")).unwrap();
        assert!(t.leaves().len() >= 10);
        assert!(t.leaves().iter().all(|l| l.parent.is_none() || t.get(l.parent.as_deref().unwrap()).is_some()));
    }

    #[test]
    fn validation_errors_name_the_theme_and_the_fix() {
        let dup = "[[theme]]\nid='a'\nlabel='A'\n[theme.en]\nkeywords=['x']\n[[theme]]\nid='a'\nlabel='B'\n[theme.en]\nkeywords=['y']\n";
        assert!(Taxonomy::parse(dup).unwrap_err().contains("theme id 'a' is used twice"));
        let parent = "[[theme]]\nid='a'\nlabel='A'\nparent='zz'\n[theme.en]\nkeywords=['x']\n";
        let e = Taxonomy::parse(parent).unwrap_err();
        assert!(e.contains("theme 'a': parent 'zz' is not a theme id"), "{e}");
        let empty = "[[theme]]\nid='a'\nlabel='A'\n";
        let e = Taxonomy::parse(empty).unwrap_err();
        assert!(e.contains("theme 'a' has nothing to match on") && e.contains("[theme.fr]"), "{e}");
        let cycle = "[[theme]]\nid='a'\nlabel='A'\nparent='b'\n[theme.en]\nkeywords=['x']\n[[theme]]\nid='b'\nlabel='B'\nparent='a'\n[theme.en]\nkeywords=['y']\n";
        assert!(Taxonomy::parse(cycle).unwrap_err().contains("cycle"));
        assert!(Taxonomy::parse("").unwrap_err().contains("no [[theme]]"));
        let typo = "[[theme]]\nid='a'\nlabel='A'\n[theme.en]\nkeyword=['x']\n";
        assert!(Taxonomy::parse(typo).unwrap_err().contains("keyword"));
    }
}
