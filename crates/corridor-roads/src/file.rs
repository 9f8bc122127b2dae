//! The prepared network file: a magic header, a version, then little-endian arrays.
//!
//! Loading reads the arrays back and checks every invariant of [`RoadNetwork`] (so a corrupt file
//! is an error, never a panic in the router), and skips the contraction order computation, the
//! slow part of preparation. No serialisation framework: the layout is a handful of flat arrays.

use std::path::{Path, PathBuf};

use crate::network::{MAX_ARC_TENTHS, NO_NAME, RoadNetwork};

/// First bytes of every prepared network file.
pub const MAGIC: &[u8; 16] = b"CORRIDOR-ROADS\n\0";

/// Version of the layout written by this build; readers refuse any other.
pub const VERSION: u32 = 1;

/// Why a prepared network file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a prepared network of this version, or is damaged.
    #[error("{path} is not a usable prepared road network: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
}

/// Whether these first bytes are those of a prepared network file.
pub fn is_prepared_network(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(MAGIC)
}

/// Encodes a network in the prepared file layout.
pub fn to_bytes(net: &RoadNetwork) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + net.node_count() * 28 + net.arc_count() * 28);
    out.extend_from_slice(MAGIC);
    let u32s = |out: &mut Vec<u8>, xs: &[u32]| {
        xs.iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
    };
    u32s(
        &mut out,
        &[
            VERSION,
            net.node_count() as u32,
            net.arc_count() as u32,
            net.names.len() as u32,
        ],
    );
    net.lat
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    net.lon
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    u32s(&mut out, &net.first_out);
    u32s(&mut out, &net.head);
    u32s(&mut out, &net.tenths);
    net.length_m
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    net.way
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    u32s(&mut out, &net.name);
    u32s(&mut out, &net.order);
    for n in &net.names {
        out.extend_from_slice(&(n.len() as u32).to_le_bytes());
        out.extend_from_slice(n.as_bytes());
    }
    out
}

/// Writes a network to a prepared network file.
pub fn write_network(net: &RoadNetwork, path: &Path) -> Result<(), FileError> {
    std::fs::write(path, to_bytes(net)).map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a prepared network file.
pub fn read_network(path: &Path) -> Result<RoadNetwork, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes).map_err(|reason| FileError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self, count: usize, what: &str) -> Result<Vec<[u8; N]>, String> {
        let len = count
            .checked_mul(N)
            .ok_or_else(|| format!("the {what} count is impossible"))?;
        let end = self.at.checked_add(len).filter(|&e| e <= self.bytes.len()).ok_or_else(|| {
            format!("the file ends inside the {what} (truncated?); prepare it again with `corridor roads import`")
        })?;
        let out = self.bytes[self.at..end]
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                a
            })
            .collect();
        self.at = end;
        Ok(out)
    }
    fn u32s(&mut self, count: usize, what: &str) -> Result<Vec<u32>, String> {
        Ok(self
            .take::<4>(count, what)?
            .into_iter()
            .map(u32::from_le_bytes)
            .collect())
    }
}

/// Decodes a prepared network, checking every invariant.
pub fn from_bytes(bytes: &[u8]) -> Result<RoadNetwork, String> {
    if !is_prepared_network(bytes) {
        return Err("it does not start with the prepared-network header; prepare one with `corridor roads import EXTRACT.osm.pbf -o NETWORK`".into());
    }
    let mut c = Cursor {
        bytes,
        at: MAGIC.len(),
    };
    let head = c.u32s(4, "header")?;
    let (version, n, m, names) = (
        head[0],
        head[1] as usize,
        head[2] as usize,
        head[3] as usize,
    );
    if version != VERSION {
        return Err(format!(
            "it has layout version {version}, this build reads version {VERSION}; prepare it again with `corridor roads import`"
        ));
    }
    let lat: Vec<f64> = c
        .take::<8>(n, "latitudes")?
        .into_iter()
        .map(f64::from_le_bytes)
        .collect();
    let lon: Vec<f64> = c
        .take::<8>(n, "longitudes")?
        .into_iter()
        .map(f64::from_le_bytes)
        .collect();
    let first_out = c.u32s(n + 1, "arc offsets")?;
    let head = c.u32s(m, "arc heads")?;
    let tenths = c.u32s(m, "travel times")?;
    let length_m: Vec<f32> = c
        .take::<4>(m, "lengths")?
        .into_iter()
        .map(f32::from_le_bytes)
        .collect();
    let way: Vec<i64> = c
        .take::<8>(m, "way ids")?
        .into_iter()
        .map(i64::from_le_bytes)
        .collect();
    let name = c.u32s(m, "street name indices")?;
    let order = c.u32s(n, "contraction order")?;
    let mut name_list = Vec::with_capacity(names.min(bytes.len()));
    for _ in 0..names {
        let len = c.u32s(1, "street names")?[0] as usize;
        let raw: Vec<u8> = c
            .take::<1>(len, "street names")?
            .into_iter()
            .map(|b| b[0])
            .collect();
        name_list
            .push(String::from_utf8(raw).map_err(|_| "a street name is not UTF-8".to_string())?);
    }
    if c.at != bytes.len() {
        return Err(format!(
            "{} unexpected bytes after the street names",
            bytes.len() - c.at
        ));
    }
    if lat.iter().chain(&lon).any(|x| !x.is_finite())
        || lat.iter().any(|x| x.abs() > 90.0)
        || lon.iter().any(|x| x.abs() > 180.0)
    {
        return Err("a node position is not a valid latitude/longitude".into());
    }
    if first_out.first() != Some(&0)
        || first_out.last().map(|&x| x as usize) != Some(m)
        || first_out.windows(2).any(|w| w[0] > w[1])
    {
        return Err("the arc offsets are inconsistent".into());
    }
    if head.iter().any(|&h| h as usize >= n) {
        return Err("an arc leads to a node that does not exist".into());
    }
    if tenths.iter().any(|&t| t > MAX_ARC_TENTHS)
        || length_m.iter().any(|l| !l.is_finite() || *l < 0.0)
    {
        return Err("an arc has an impossible travel time or length".into());
    }
    if name.iter().any(|&i| i != NO_NAME && i as usize >= names) {
        return Err("an arc names a street that is not in the file".into());
    }
    let mut seen = vec![false; n];
    for &v in &order {
        if v as usize >= n || std::mem::replace(&mut seen[v as usize], true) {
            return Err("the contraction order is not a permutation of the nodes".into());
        }
    }
    Ok(RoadNetwork {
        lat,
        lon,
        first_out,
        head,
        tenths,
        length_m,
        way,
        name,
        names: name_list,
        order,
    })
}
