//! Canonical output column names (DESIGN.md "Outputs"). Stages name what they produce with
//! these constants only, so that a rename happens in one place.

pub const RESPONSE_ID: &str = "response_id";
pub const DATE: &str = "date";
pub const PERIOD: &str = "period";
pub const SCORE: &str = "score";
pub const NPS_GROUP: &str = "nps_group";
pub const COMMENT: &str = "comment";
pub const LANGUAGE: &str = "language";
pub const LANGUAGE_CONFIDENCE: &str = "language_confidence";
pub const LANGUAGE_RELIABLE: &str = "language_reliable";
pub const STATUS: &str = "status";
pub const SENTIMENT: &str = "sentiment";
pub const SENTIMENT_SCORE: &str = "sentiment_score";
pub const THEMES: &str = "themes";
pub const THEME: &str = "theme";
pub const CLAUSE: &str = "clause";
pub const CLAUSE_INDEX: &str = "clause_index";
pub const CONFIDENCE: &str = "confidence";
pub const N_CLAUSES: &str = "n_clauses";
pub const SOURCE_FILE: &str = "source_file";
pub const SOURCE_ROW: &str = "source_row";

pub const SEGMENT: &str = "segment";
pub const VALUE: &str = "value";
pub const N: &str = "n";
pub const PROMOTERS: &str = "promoters";
pub const PASSIVES: &str = "passives";
pub const DETRACTORS: &str = "detractors";
pub const NPS: &str = "nps";
pub const MOE95: &str = "moe95";
pub const DELTA_VS_PREVIOUS: &str = "delta_vs_previous";
pub const P_VALUE_CHANGE: &str = "p_value_change";
pub const LOW_N: &str = "low_n";
/// nps.parquet, with a monetary value column (issue 19; docs/METRICS.md).
pub const N_VALUED: &str = "n_valued";
pub const VALUE_TOTAL: &str = "value_total";
pub const NPS_WEIGHTED: &str = "nps_weighted";
pub const MOE95_WEIGHTED: &str = "moe95_weighted";
pub const N_EFFECTIVE: &str = "n_effective";
/// responses.parquet, with customer value columns.
pub const MONETARY_VALUE: &str = "monetary_value";
pub const RECENCY_DAYS: &str = "recency_days";
pub const FREQUENCY: &str = "frequency";
pub const TENURE: &str = "tenure";
pub const RFM_SCORE: &str = "rfm_score";

/// Value used for "not broken down" in nps.parquet (`period`, `segment`, `value`).
pub const ALL: &str = "all";
/// Period of responses without a date.
pub const UNDATED: &str = "undated";

/// Values of `status` in responses.parquet.
pub mod status {
    /// A non-empty comment that went through the text stages.
    pub const OK: &str = "ok";
    /// No comment: counted in NPS, skipped by the text stages.
    pub const EMPTY_COMMENT: &str = "empty_comment";
}
