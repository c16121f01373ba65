//! GeoPackage files (gpkg_contents): their geometry columns, each with its geometry
//! type, dimensions and SRID, so that a migration or an import can type them (bytea,
//! or PostGIS geometry when the database has it).

use super::connection::SqliteConnection;

/// A GeoPackage geometry column (gpkg_geometry_columns, with its SRID from
/// gpkg_spatial_ref_sys: the EPSG code where the file names one).
#[derive(Debug, Clone)]
pub struct GeometryColumn {
    pub table: String,
    pub column: String,
    /// POINT, LINESTRING, ..., GEOMETRY.
    pub geometry_type: String,
    pub srid: i32,
    /// z and m: 0 prohibited, 1 mandatory, 2 optional.
    pub z: i64,
    pub m: i64,
}

impl GeometryColumn {
    pub fn is(&self, table: &str, column: &str) -> bool {
        self.table.eq_ignore_ascii_case(table) && self.column.eq_ignore_ascii_case(column)
    }

    /// The PostGIS column type, `<geometry>(PointZ,4326)`: the type's own subtype where
    /// the file's is one PostGIS has and its dimensions are fixed, else Geometry.
    pub fn postgis_type(&self, geometry: &str) -> String {
        let base = match self.geometry_type.to_ascii_uppercase().as_str() {
            "POINT" => "Point",
            "LINESTRING" => "LineString",
            "POLYGON" => "Polygon",
            "MULTIPOINT" => "MultiPoint",
            "MULTILINESTRING" => "MultiLineString",
            "MULTIPOLYGON" => "MultiPolygon",
            "GEOMETRYCOLLECTION" => "GeometryCollection",
            _ => "Geometry",
        };
        let fixed = self.z != 2 && self.m != 2;
        let subtype = if fixed { format!("{base}{}{}", if self.z == 1 { "Z" } else { "" }, if self.m == 1 { "M" } else { "" }) } else { "Geometry".into() };
        format!("{geometry}({subtype},{})", self.srid)
    }
}

/// Every GeoPackage geometry column (none in other files).
pub fn geometry_columns(conn: &SqliteConnection) -> Vec<GeometryColumn> {
    if conn.writer() != Some(super::writer::Writer::GeoPackage) {
        return vec![];
    }
    let sql = "SELECT g.table_name, g.column_name, g.geometry_type_name, \
               coalesce(CASE WHEN upper(s.organization) = 'EPSG' THEN s.organization_coordsys_id END, g.srs_id), g.z, g.m \
               FROM gpkg_geometry_columns g LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id";
    conn.db()
        .prepare(sql)
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(GeometryColumn {
                    table: r.get(0)?,
                    column: r.get(1)?,
                    geometry_type: r.get(2)?,
                    srid: r.get::<_, Option<i64>>(3)?.unwrap_or(0).clamp(0, i32::MAX as i64) as i32,
                    z: r.get::<_, Option<i64>>(4)?.unwrap_or(2),
                    m: r.get::<_, Option<i64>>(5)?.unwrap_or(2),
                })
            })?
            .collect()
        })
        .unwrap_or_default()
}

