//! A deterministic backend for tests and benches: every token id maps to a fixed
//! pseudo-random vector, so a text's embedding is a normalised bag of its tokens. It never
//! runs in the product path.

use super::{Backend, BackendError, Batch};

pub struct MockBackend {
    pub hidden: usize,
}

impl Backend for MockBackend {
    fn name(&self) -> String {
        "mock".into()
    }

    fn hidden_size(&self) -> usize {
        self.hidden
    }

    fn forward(&mut self, batch: &Batch) -> Result<Vec<f32>, BackendError> {
        let mut out = Vec::with_capacity(batch.batch * batch.seq * self.hidden);
        for &id in &batch.ids {
            let mut x = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
            for _ in 0..self.hidden {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                out.push(((x >> 40) as f32 / (1u64 << 24) as f32) - 0.5);
            }
        }
        Ok(out)
    }
}
