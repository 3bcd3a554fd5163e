//! Column definitions as the migrations write them: `text("name")` is NOT NULL, `text_null`
//! allows NULL.

use sea_orm::sea_query::{ColumnDef, IntoIden};

/// A BIGINT primary key the database numbers.
pub fn big_pk_auto<T: IntoIden>(name: T) -> ColumnDef {
    big_integer(name).auto_increment().primary_key().take()
}

/// Declares a NOT NULL and a NULL helper for each column type.
macro_rules! columns {
    ($($not_null:ident, $null:ident => $ty:ident;)*) => {$(
        #[doc = concat!("A NOT NULL `", stringify!($ty), "` column.")]
        pub fn $not_null<T: IntoIden>(name: T) -> ColumnDef {
            ColumnDef::new(name).$ty().not_null().take()
        }
        #[doc = concat!("A `", stringify!($ty), "` column that may be NULL.")]
        pub fn $null<T: IntoIden>(name: T) -> ColumnDef {
            ColumnDef::new(name).$ty().null().take()
        }
    )*};
}

columns! {
    big_integer, big_integer_null => big_integer;
    integer, integer_null => integer;
    small_integer, small_integer_null => small_integer;
    boolean, boolean_null => boolean;
    text, text_null => text;
    json, json_null => json;
    date, date_null => date;
    timestamp_with_time_zone, timestamp_with_time_zone_null => timestamp_with_time_zone;
    blob, blob_null => blob;
}

/// A NOT NULL string column of at most `length` characters.
pub fn string_len<T: IntoIden>(name: T, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).not_null().take()
}

/// A string column of at most `length` characters that may be NULL.
pub fn string_len_null<T: IntoIden>(name: T, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).null().take()
}

/// A NOT NULL, unique string column of at most `length` characters.
pub fn string_len_uniq<T: IntoIden>(name: T, length: u32) -> ColumnDef {
    string_len(name, length).unique_key().take()
}
