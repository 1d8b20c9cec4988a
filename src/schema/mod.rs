//! Column roles: which input column is the score, the comment, the id, the date, the
//! segments. Detection with reasons, overrides by flag, and the typed errors that say
//! which flag fixes what.

pub mod columns;
pub mod dates;
pub mod mapping;

pub use mapping::{detect, ColumnMapping, MappingOverrides, Role, SchemaError};
