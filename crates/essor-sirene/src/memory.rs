//! Large zeroed tables that are about to be updated in place.
//!
//! A zeroed allocation this large comes straight from the system, which maps its pages on first
//! touch. When that first touch is a read, as in `table[i] += 1`, the page is first mapped to the
//! shared zero page, then copied on the write that follows: two faults, and the copy makes the
//! system flush the page from every core's TLB (an interrupt to each core). On the import's
//! tables, filled in no order, that was a twentieth of the import's time. Writing each page
//! once beforehand costs one fault per page and no interrupt.

/// Bytes of the smallest page the system maps.
const PAGE: usize = 4096;

/// `len` zeroed values, every page of them already written.
pub(crate) fn zeroed_for_updates<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut table = vec![T::default(); len];
    let step = (PAGE / std::mem::size_of::<T>().max(1)).max(1);
    for index in (0..len).step_by(step) {
        // `black_box` keeps the compiler from dropping a store of the value already there.
        table[index] = std::hint::black_box(T::default());
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_zeroed_and_as_long_as_asked() {
        for len in [0, 1, 511, 512, 513, 100_000] {
            let table: Vec<[u64; 3]> = zeroed_for_updates(len);
            assert_eq!(table.len(), len);
            assert!(table.iter().all(|x| *x == [0; 3]));
        }
    }
}
