//! GeoPackage geometry blobs (OGC GeoPackage 1.2, §2.1.3): a header — `GP`, version,
//! flags (byte order, envelope size, empty), the srs_id — then the geometry as standard
//! WKB. Into a PostGIS column the WKB goes as hex with the column's SRID
//! (`SRID=4326;0101...`), which PostGIS's own input function reads.

/// Is this a GeoPackage geometry blob (magic `GP`, version 0)?
pub fn is_geopackage(blob: &[u8]) -> bool {
    blob.len() >= 8 && blob[0] == b'G' && blob[1] == b'P' && blob[2] == 0
}

/// The srs_id in the header.
pub fn srs_id(blob: &[u8]) -> Option<i32> {
    if !is_geopackage(blob) {
        return None;
    }
    let bytes: [u8; 4] = blob[4..8].try_into().ok()?;
    Some(if blob[3] & 1 == 1 { i32::from_le_bytes(bytes) } else { i32::from_be_bytes(bytes) })
}

/// `SRID=<srid>;<hex WKB>` for PostGIS's input function: `srid` the column's (else the
/// header's srs_id; none below 1).
pub fn postgis_text(blob: &[u8], srid: Option<i32>) -> Result<String, String> {
    if !is_geopackage(blob) {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err("an extended GeoPackage geometry (its encoding is the extension's)".into());
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("an invalid envelope code {other}")),
    };
    let wkb = blob.get(8 + envelope..).filter(|w| w.len() >= 5).ok_or("a GeoPackage geometry without its WKB")?;
    let srid = srid.or_else(|| srs_id(blob)).filter(|s| *s > 0).unwrap_or(0);
    let mut out = format!("SRID={srid};");
    for b in wkb {
        out.push_str(&format!("{b:02X}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geopackage_headers() {
        // GP, version 0, flags 0b0000_0011 (little endian, 32-byte envelope), srs_id 4326
        let mut blob = vec![b'G', b'P', 0, 0b0000_0011];
        blob.extend_from_slice(&4326i32.to_le_bytes());
        blob.extend_from_slice(&[0u8; 32]);
        let wkb = [1u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40];
        blob.extend_from_slice(&wkb);
        assert_eq!(srs_id(&blob), Some(4326));
        assert_eq!(postgis_text(&blob, None).unwrap(), "SRID=4326;0101000000000000000000F03F0000000000000040");
        assert_eq!(postgis_text(&blob, Some(3857)).unwrap().split(';').next(), Some("SRID=3857"));
        assert!(postgis_text(b"not a geometry", None).is_err());
        let mut big_endian = vec![b'G', b'P', 0, 0];
        big_endian.extend_from_slice(&(-1i32).to_be_bytes());
        big_endian.extend_from_slice(&wkb);
        assert_eq!(postgis_text(&big_endian, None).unwrap().split(';').next(), Some("SRID=0"));
    }
}
