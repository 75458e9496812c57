//! Designs: which input values each evaluation of a sensitivity study
//! takes. Every design is first drawn in the unit cube (each input's range
//! mapped to [0, 1]) and then scaled by the inputs' ranges, so the
//! estimators see the same numbers whatever the inputs mean.

use rand::Rng;

/// What one evaluation of a design is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Tornado: every input at its base value.
    Base,
    /// Tornado: input `i` at its low end, the others at base.
    Low(usize),
    /// Tornado: input `i` at its high end, the others at base.
    High(usize),
    /// Morris: step `step` (0 = the trajectory's start) of trajectory `t`;
    /// step `s > 0` moved input `moved` by ±Δ.
    Trajectory {
        /// The trajectory.
        t: usize,
        /// The step along it.
        step: usize,
        /// The input moved to reach this step (`None` at the start).
        moved: Option<usize>,
    },
    /// Sobol (Saltelli): row `row` of matrix A.
    A(usize),
    /// Row `row` of matrix B.
    B(usize),
    /// Row `row` of A with input `i`'s column taken from B.
    AB(usize, usize),
}

impl Role {
    /// The design.csv columns `role`, `index` and `input` (an input index).
    pub fn describe(self) -> (&'static str, Option<usize>, Option<usize>) {
        match self {
            Role::Base => ("base", None, None),
            Role::Low(i) => ("low", None, Some(i)),
            Role::High(i) => ("high", None, Some(i)),
            Role::Trajectory { t, moved, .. } => ("trajectory", Some(t), moved),
            Role::A(r) => ("A", Some(r), None),
            Role::B(r) => ("B", Some(r), None),
            Role::AB(r, i) => ("AB", Some(r), Some(i)),
        }
    }
}

/// A design in the unit cube: `points[e][i]` is input `i`'s position in
/// its range at evaluation `e` (`None` = the input's base value).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDesign {
    /// Positions, one row per evaluation.
    pub points: Vec<Vec<Option<f64>>>,
    /// What each evaluation is for.
    pub roles: Vec<Role>,
}

/// One input at a time: the base point, then each input at 0 and at 1.
pub fn tornado(k: usize) -> UnitDesign {
    let mut points = vec![vec![None; k]];
    let mut roles = vec![Role::Base];
    for i in 0..k {
        for (end, role) in [(0.0, Role::Low(i)), (1.0, Role::High(i))] {
            let mut p = vec![None; k];
            p[i] = Some(end);
            points.push(p);
            roles.push(role);
        }
    }
    UnitDesign { points, roles }
}

/// Morris's elementary-effects design (Morris 1991; the "trajectory"
/// design of Campolongo et al. 2007 without their selection step):
/// `r` trajectories of k + 1 points on a grid of `levels` levels, each
/// moving one input at a time by Δ = levels / (2 (levels − 1)), in a
/// random order and direction, from a random start.
pub fn morris<R: Rng>(k: usize, r: usize, levels: usize, rng: &mut R) -> UnitDesign {
    let step = 1.0 / (levels - 1) as f64;
    let delta = morris_delta(levels);
    // Starts are the grid levels from which +Δ stays inside [0, 1].
    let starts = ((1.0 - delta) / step).round() as usize + 1;
    let mut points = Vec::with_capacity(r * (k + 1));
    let mut roles = Vec::with_capacity(r * (k + 1));
    for t in 0..r {
        let mut x: Vec<f64> = (0..k).map(|_| rng.random_range(0..starts) as f64 * step).collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let up: Vec<bool> = (0..k).map(|_| rng.random_bool(0.5)).collect();
        // A downward move starts at x + Δ, so it too stays inside.
        for i in 0..k {
            if !up[i] {
                x[i] += delta;
            }
        }
        points.push(x.iter().map(|&v| Some(v)).collect());
        roles.push(Role::Trajectory {
            t,
            step: 0,
            moved: None,
        });
        for (s, &i) in order.iter().enumerate() {
            x[i] += if up[i] { delta } else { -delta };
            points.push(x.iter().map(|&v| Some(v)).collect());
            roles.push(Role::Trajectory {
                t,
                step: s + 1,
                moved: Some(i),
            });
        }
    }
    UnitDesign { points, roles }
}

/// Δ of a Morris grid of `levels` levels (the usual even-levels choice).
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels - 1) as f64)
}

/// Saltelli's sampling for Sobol indices (Saltelli et al. 2010): two
/// independent uniform matrices A and B of `n` rows, and for each input i
/// the matrix A_B^(i) (A with column i from B): n (k + 2) evaluations,
/// in the order A rows, B rows, then A_B^(i) row by row.
pub fn saltelli<R: Rng>(k: usize, n: usize, rng: &mut R) -> UnitDesign {
    let mut draw = |_| -> Vec<f64> { (0..k).map(|_| rng.random::<f64>()).collect() };
    let a: Vec<Vec<f64>> = (0..n).map(&mut draw).collect();
    let b: Vec<Vec<f64>> = (0..n).map(&mut draw).collect();
    let some = |row: &[f64]| row.iter().map(|&v| Some(v)).collect::<Vec<_>>();
    let mut points: Vec<Vec<Option<f64>>> = a.iter().map(|r| some(r)).collect();
    let mut roles: Vec<Role> = (0..n).map(Role::A).collect();
    points.extend(b.iter().map(|r| some(r)));
    roles.extend((0..n).map(Role::B));
    for row in 0..n {
        for i in 0..k {
            let mut p = a[row].clone();
            p[i] = b[row][i];
            points.push(some(&p));
            roles.push(Role::AB(row, i));
        }
    }
    UnitDesign { points, roles }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn morris_trajectories_move_one_input_by_delta_and_stay_in_the_cube() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let (k, r, levels) = (5, 20, 4);
        let d = morris(k, r, levels, &mut rng);
        assert_eq!(d.points.len(), r * (k + 1));
        let delta = morris_delta(levels);
        for e in 1..d.points.len() {
            if let Role::Trajectory { moved: Some(i), .. } = d.roles[e] {
                for j in 0..k {
                    let change = d.points[e][j].unwrap() - d.points[e - 1][j].unwrap();
                    let expected = if j == i { delta } else { 0.0 };
                    assert!((change.abs() - expected).abs() < 1e-12, "e {e} j {j} change {change}");
                }
            }
        }
        assert!(
            d.points
                .iter()
                .flatten()
                .all(|v| (-1e-12..=1.0 + 1e-12).contains(&v.unwrap()))
        );
    }

    #[test]
    fn saltelli_ab_rows_take_one_column_from_b() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let (k, n) = (3, 8);
        let d = saltelli(k, n, &mut rng);
        assert_eq!(d.points.len(), n * (k + 2));
        for (e, role) in d.roles.iter().enumerate() {
            if let Role::AB(row, i) = *role {
                for j in 0..k {
                    let from = if j == i { n + row } else { row };
                    assert_eq!(d.points[e][j], d.points[from][j]);
                }
            }
        }
    }
}
