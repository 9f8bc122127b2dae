//! What every run must satisfy, whatever the world did to the plan.

use corridor_core::{Plan, Scenario, Seconds};
use corridor_sim::RunResult;

/// Checks one recorded run of `plan`: nobody is delivered twice, only households the plan carries
/// are delivered, deliveries and people left behind add up to the people the plan carries, and
/// every vehicle's events come in order. Returns what is wrong, if anything.
pub(crate) fn run_is_sound(s: &Scenario, plan: &Plan, r: &RunResult) -> Result<(), String> {
    let mut planned = vec![false; s.households.len()];
    let mut carried = [0u32; 3];
    for (_, t) in plan.trips() {
        for h in t.households() {
            planned[h.index()] = true;
            let hh = s.household(h);
            carried[hh.tier.index()] += hh.people.0;
        }
    }
    let mut delivered = [0u32; 3];
    for (_, tiers) in &r.deliveries {
        for (d, x) in delivered.iter_mut().zip(tiers) {
            *d += x;
        }
    }
    for tier in 0..3 {
        if delivered[tier] + r.stranded[tier] != carried[tier] {
            return Err(format!(
                "tier {tier}: {} delivered and {} stranded, but the plan carries {}",
                delivered[tier], r.stranded[tier], carried[tier]
            ));
        }
    }
    if let Some(last) = r.deliveries.iter().map(|d| d.0).max()
        && last != r.makespan
    {
        return Err(format!("makespan {:?}, last delivery {last:?}", r.makespan));
    }
    let Some(executed) = &r.executed else {
        return Ok(());
    };
    let mut seen = vec![false; s.households.len()];
    for route in &executed.routes {
        let v = route.vehicle.0;
        let mut clock = Seconds(i64::MIN);
        let mut step = |what: &str, at: Seconds| {
            if at < clock {
                return Err(format!(
                    "vehicle {v}: {what} at {} comes before {}",
                    at.0, clock.0
                ));
            }
            clock = at;
            Ok(())
        };
        for (ti, t) in route.trips.iter().enumerate() {
            step(&format!("trip {ti} departure"), t.departs)?;
            for (si, stop) in t.stops.iter().enumerate() {
                step(&format!("trip {ti} stop {si} arrival"), stop.arrives)?;
                step(&format!("trip {ti} stop {si} loading"), stop.loading_starts)?;
                step(&format!("trip {ti} stop {si} departure"), stop.departs)?;
                for &h in &stop.households {
                    if !planned[h.index()] {
                        return Err(format!("vehicle {v} delivers {h:?}, whom the plan leaves"));
                    }
                    if std::mem::replace(&mut seen[h.index()], true) {
                        return Err(format!("{h:?} is delivered twice (again by vehicle {v})"));
                    }
                }
            }
            if let Some(c) = &t.crossing {
                step(&format!("trip {ti} queueing"), c.queued)?;
                step(&format!("trip {ti} inspection"), c.starts)?;
                step(&format!("trip {ti} crossing"), c.ends)?;
            }
            step(&format!("trip {ti} arrival"), t.arrives)?;
            step(&format!("trip {ti} unloading"), t.unloaded)?;
        }
        if let Some(back) = route.returns_at {
            step("return", back)?;
        }
    }
    // Recorded trips are the delivered ones: the same people as the deliveries.
    let recorded: u32 = (0..s.households.len())
        .filter(|&h| seen[h])
        .map(|h| s.households[h].people.0)
        .sum();
    if recorded != delivered.iter().sum::<u32>() {
        return Err(format!(
            "the recorded trips carry {recorded} people, the deliveries {}",
            delivered.iter().sum::<u32>()
        ));
    }
    Ok(())
}
