//! A dense bitset over enterprise slots, ANDed word by word.

#[derive(Debug, Clone, Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub(crate) fn set(&mut self, i: usize, on: bool) {
        let w = i / 64;
        if w >= self.words.len() {
            if !on {
                return;
            }
            self.words.resize(w + 1, 0);
        }
        let bit = 1u64 << (i % 64);
        if on {
            self.words[w] |= bit;
        } else {
            self.words[w] &= !bit;
        }
    }

    /// The 64 bits of word `w` (zero past the end).
    pub(crate) fn word(&self, w: usize) -> u64 {
        self.words.get(w).copied().unwrap_or(0)
    }

    /// Whether bit `i` is set.
    pub(crate) fn get(&self, i: usize) -> bool {
        self.word(i / 64) & (1u64 << (i % 64)) != 0
    }

    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_set_and_clear() {
        let mut b = BitSet::default();
        b.set(3, true);
        b.set(130, true);
        b.set(1000, false);
        assert_eq!(b.word(0), 1 << 3);
        assert_eq!(b.word(2), 1 << 2);
        assert_eq!(b.word(15), 0);
        b.set(3, false);
        assert_eq!(b.word(0), 0);
    }
}
