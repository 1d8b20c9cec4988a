//! What people read, each a function of an [`crate::pipeline::Analysis`]: the report's
//! view model (`view`) and its Markdown / HTML rendering (`render`), summary.json
//! (`summary`), the follow-up list of detractors (`followup`), and masking of personal data.

pub mod changes;
pub mod charts;
pub mod followup;
pub mod mask;
pub mod render;
pub mod subtopics;
pub mod summary;
pub mod view;
pub mod words;
