//! Emerging themes in a run: discovery over the clauses no theme covers, with the NPS of
//! the responses behind each proposal, and ids carried over from the previous run.

use std::path::Path;

use polars::prelude::*;

use super::discovery::Proposal;
use crate::nps::Tally;
use crate::text::Prepared;
use crate::validate::Responses;

/// The file the proposals are written to, and read back from on the next run.
pub const PROPOSALS_FILE: &str = "proposed_themes.parquet";

/// The discovery stage: clusters of the clauses no theme covers (`covered`, per clause:
/// [`super::assign::Assigner::assign_covering`]), as proposed themes, each
/// with the NPS of the responses behind it. A cluster close to one of the previous run's
/// proposals (`out_dir`'s proposed_themes.parquet) keeps its id.
pub fn discover(
    out_dir: &Path,
    r: &Responses,
    p: &Prepared,
    embeddings: &[Vec<f32>],
    covered: &[bool],
) -> Vec<(Proposal, Tally)> {
    let mut counts = vec![0usize; p.unique.len()];
    for c in &p.comments {
        for &u in &c.clauses {
            counts[u] += 1;
        }
    }
    let uncovered: Vec<usize> = (0..p.unique.len()).filter(|&u| !covered[u]).collect();
    let texts: Vec<String> = uncovered.iter().map(|&u| p.unique[u].clone()).collect();
    let emb: Vec<Vec<f32>> = uncovered.iter().map(|&u| embeddings[u].clone()).collect();
    let cnt: Vec<usize> = uncovered.iter().map(|&u| counts[u]).collect();
    let previous = previous_proposals(&out_dir.join(PROPOSALS_FILE));
    let proposals = super::discovery::discover(&texts, &emb, &cnt, &previous, &Default::default());
    proposals
        .into_iter()
        .map(|prop| {
            let members: std::collections::HashSet<usize> = prop.members.iter().map(|&k| uncovered[k]).collect();
            let tally = Tally::from_scores(
                p.comments
                    .iter()
                    .zip(&r.score)
                    .filter(|(c, _)| c.clauses.iter().any(|u| members.contains(u)))
                    .map(|(_, s)| *s),
            );
            (prop, tally)
        })
        .collect()
}

/// The previous run's proposals in the output directory (none when absent or unreadable).
pub fn previous_proposals(path: &Path) -> Vec<Proposal> {
    let Ok(f) = std::fs::File::open(path) else { return Vec::new() };
    let Ok(df) = ParquetReader::new(f).finish() else { return Vec::new() };
    let (Ok(ids), Ok(cent)) =
        (df.column("id").and_then(|c| c.str().cloned()), df.column("centroid").and_then(|c| c.list().cloned()))
    else {
        return Vec::new();
    };
    (0..df.height())
        .filter_map(|i| {
            let id = ids.get(i)?.to_string();
            let c = cent.get_as_series(i)?;
            let centroid: Vec<f32> = c.f32().ok()?.iter().flatten().collect();
            Some(Proposal {
                id,
                label: String::new(),
                keywords: Vec::new(),
                size: 0,
                representatives: Vec::new(),
                members: Vec::new(),
                centroid,
                carried_over: false,
            })
        })
        .collect()
}
