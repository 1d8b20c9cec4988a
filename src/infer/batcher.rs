//! Token-budget batching: sort by length, then fill each batch while
//! `members x longest` stays within the budget, so that padding stays small.

/// Batches of indices into `lengths`. Texts are taken shortest first (ties by index, so
/// the plan is deterministic); every batch holds at least one text, and a text longer
/// than the budget gets a batch of its own.
pub fn plan_batches(lengths: &[usize], budget_tokens: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| (lengths[i], i));
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted ascending: the newcomer is the longest of its batch.
        let cost = (current.len() + 1) * lengths[i];
        if !current.is_empty() && cost > budget_tokens {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_once_and_budget_respected() {
        let lengths = [5, 30, 7, 7, 512, 2, 9, 9, 9, 100];
        for budget in [1, 16, 64, 600, 10_000] {
            let batches = plan_batches(&lengths, budget);
            let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
            seen.sort();
            assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
            for b in &batches {
                let longest = b.iter().map(|&i| lengths[i]).max().unwrap();
                assert!(b.len() == 1 || b.len() * longest <= budget, "{budget}: {b:?}");
            }
        }
    }

    #[test]
    fn sorted_by_length_so_padding_is_small() {
        let batches = plan_batches(&[10, 1, 10, 1], 4);
        assert_eq!(batches, vec![vec![1, 3], vec![0], vec![2]]);
        assert!(plan_batches(&[], 10).is_empty());
    }
}
