//! Which of several processes owns an instance: one writer per instance
//! across processes.
//!
//! An [`InstanceHandle`](crate::InstanceHandle) orders one instance's calls
//! within a process; the server orders nothing (its replicas share one
//! database and take no lock). An application that runs several processes
//! keeps one writer per instance by routing each instance's work to one of
//! them: a queue partitioned by instance id, or a router that sends each
//! request to [`instance_owner`]'s process.

use std::num::NonZeroUsize;

/// The process, out of `processes`, that owns the instance `instance_id`:
/// the same answer in every process and every run, and when the count
/// grows from `n` to `n + 1`, only about one instance in `n + 1` changes
/// owner (all to the new process), so moving work is rare.
///
/// Ids are compared as the server writes them (lowercase UUIDs); an
/// uppercase id is folded to lowercase first.
///
/// ```
/// use std::num::NonZeroUsize;
/// use rxinfer_models_api::instance_owner;
///
/// let processes = NonZeroUsize::new(4).expect("four");
/// let owner = instance_owner("2f7b0a52-0c4e-4b7e-9d2a-4f0e6a1c9b11", processes);
/// assert!(owner < 4);
/// assert_eq!(owner, instance_owner("2F7B0A52-0C4E-4B7E-9D2A-4F0E6A1C9B11", processes));
/// ```
pub fn instance_owner(instance_id: &str, processes: NonZeroUsize) -> usize {
    jump(fnv1a(instance_id), processes.get())
}

/// FNV-1a over the id's lowercase bytes: stable across runs and platforms,
/// unlike std's hasher.
fn fnv1a(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Jump consistent hashing (Lamping and Veach, 2014): a bucket in
/// `0..buckets` that moves only to the new bucket when one is added.
fn jump(mut key: u64, buckets: usize) -> usize {
    let buckets = i64::try_from(buckets).unwrap_or(i64::MAX);
    let (mut bucket, mut next) = (-1_i64, 0_i64);
    while next < buckets {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        let step = f64::from(1_u32 << 31) / (((key >> 33) + 1) as f64);
        next = ((bucket + 1) as f64 * step) as i64;
    }
    usize::try_from(bucket).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(count: usize) -> Vec<String> {
        (0..count)
            .map(|i| format!("{:08x}-0c4e-4b7e-9d2a-{:012x}", i * 7919, i))
            .collect()
    }

    fn n(count: usize) -> NonZeroUsize {
        NonZeroUsize::new(count).expect("positive")
    }

    #[test]
    fn the_same_id_has_the_same_owner_in_every_run() {
        // Fixed values, computed apart from this code: a change of hash
        // would move instances between processes across versions.
        let id = "2f7b0a52-0c4e-4b7e-9d2a-4f0e6a1c9b11";
        assert_eq!(fnv1a(id), 0x2b63_d81d_5245_4409);
        assert_eq!(fnv1a(&id.to_uppercase()), fnv1a(id));
        let owners: Vec<usize> = (1..=10).map(|count| instance_owner(id, n(count))).collect();
        assert_eq!(owners, [0, 1, 2, 2, 4, 4, 4, 4, 4, 9]);
    }

    #[test]
    fn owners_are_spread_evenly() {
        let mut counts = [0usize; 5];
        for id in ids(10_000) {
            counts[instance_owner(&id, n(5))] += 1;
        }
        for count in counts {
            assert!((1_700..2_300).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn a_new_process_takes_a_fair_share_and_nothing_else_moves() {
        let ids = ids(10_000);
        let moved: Vec<(usize, usize)> = ids
            .iter()
            .map(|id| (instance_owner(id, n(4)), instance_owner(id, n(5))))
            .filter(|(before, after)| before != after)
            .collect();
        assert!(
            moved.iter().all(|(_, after)| *after == 4),
            "only to the new one"
        );
        assert!((1_700..2_300).contains(&moved.len()), "{}", moved.len());
    }
}
