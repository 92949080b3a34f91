//! What the benches share: how a sample of timings is summed up.

/// Median and the middle half of a sample, in ms.
pub struct Spread {
    pub median: f64,
    pub p25: f64,
    pub p75: f64,
}

pub fn spread(mut v: Vec<f64>) -> Option<Spread> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(Spread {
        median: v[v.len() / 2],
        p25: v[v.len() / 4],
        p75: v[(3 * v.len()) / 4],
    })
}
