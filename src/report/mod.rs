//! What people read: masking of personal data, the follow-up list of detractors, and the
//! machine-readable run summary.

pub mod followup;
pub mod mask;
pub mod render;
