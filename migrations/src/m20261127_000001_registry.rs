//! The registry: parks, banks, enterprises and their IP, access tokens, the audit log.

use crate::prelude::*;

fn fk(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(Alias::new(from), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("ix_{table}_{}", cols.join("_")))
        .table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// Columns every mutable record carries: optimistic-concurrency version and timestamps.
fn versioned(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(big_integer("version"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
}

fn pledge_columns(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(string_len_null("pledge_registration_number", 64))
        .col(date_null("pledge_registered_on"))
        .col(date_null("pledge_released_on"))
}

/// Applies the migration.
pub(crate) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Alias::new("settings"))
            .col(string_len("key", 64).primary_key())
            .col(text("value"))
            .to_owned(),
    )
    .await?;

    let mut parks = Table::create();
    parks
        .table(Alias::new("parks"))
        .col(big_pk_auto("id"))
        .col(string_len_uniq("code", 32))
        .col(string_len("name", 100))
        .col(string_len("region", 6));
    m.create_table(versioned(&mut parks).to_owned()).await?;

    let mut banks = Table::create();
    banks
        .table(Alias::new("banks"))
        .col(big_pk_auto("id"))
        .col(string_len_uniq("code", 32))
        .col(string_len("name", 100));
    m.create_table(versioned(&mut banks).to_owned()).await?;

    let mut enterprises = Table::create();
    enterprises
        .table(Alias::new("enterprises"))
        .col(big_pk_auto("id"))
        .col(string_len_uniq("uscc", 18))
        .col(string_len("name", 100))
        .col(big_integer("park_id"))
        .col(string_len("region", 6))
        .col(string_len("industry", 5))
        .col(string_len_null("strategic_industry", 32))
        .col(date("founded_on"))
        .col(string_len("size", 16))
        .col(json("qualifications"))
        .col(json("risk_flags"))
        .col(big_integer_null("financing_need_fen"))
        .col(integer_null("financing_need_term_months"))
        .col(json_null("contact"))
        .col(boolean("contact_consent"))
        .foreign_key(&mut fk("enterprises", "park_id", "parks"));
    m.create_table(versioned(&mut enterprises).to_owned())
        .await?;
    m.create_index(index("enterprises", &["park_id", "id"], false))
        .await?;
    m.create_index(index("enterprises", &["region"], false))
        .await?;
    m.create_index(index("enterprises", &["industry"], false))
        .await?;

    let mut patents = Table::create();
    patents
        .table(Alias::new("patents"))
        .col(big_pk_auto("id"))
        .col(string_len_uniq("application_number", 16))
        .col(big_integer("enterprise_id"))
        .col(string_len("kind", 24))
        .col(string_len("title", 200))
        .col(date("filing_date"))
        .col(date_null("grant_date"))
        .col(string_len("legal_status", 32))
        .col(date_null("annual_fee_paid_until"))
        .col(json("co_owners"))
        .col(boolean("co_owners_consent"))
        .col(string_len_null("ipc_main", 24))
        .col(string_len_null("publication_number", 16))
        .col(boolean("strategic_emerging_industry"))
        .col(boolean("overseas_family"))
        .col(boolean("high_pledge_financing"))
        .col(string_len_null("award", 32))
        .col(boolean("same_day_double_filing"))
        .foreign_key(&mut fk("patents", "enterprise_id", "enterprises"));
    pledge_columns(&mut patents);
    m.create_table(versioned(&mut patents).to_owned()).await?;
    m.create_index(index("patents", &["enterprise_id", "id"], false))
        .await?;

    let mut trademarks = Table::create();
    trademarks
        .table(Alias::new("trademarks"))
        .col(big_pk_auto("id"))
        .col(big_integer("registration_number"))
        .col(small_integer("nice_class"))
        .col(big_integer("enterprise_id"))
        .col(string_len("name", 100))
        .col(date("registered_on"))
        .col(date("valid_until"))
        .foreign_key(&mut fk("trademarks", "enterprise_id", "enterprises"));
    pledge_columns(&mut trademarks);
    m.create_table(versioned(&mut trademarks).to_owned())
        .await?;
    m.create_index(index(
        "trademarks",
        &["registration_number", "nice_class"],
        true,
    ))
    .await?;
    m.create_index(index("trademarks", &["enterprise_id", "id"], false))
        .await?;

    m.create_table(
        Table::create()
            .table(Alias::new("appraisals"))
            .col(big_pk_auto("id"))
            .col(big_integer_null("patent_id"))
            .col(big_integer_null("trademark_id"))
            .col(big_integer("amount_fen"))
            .col(date("appraised_on"))
            .col(date("valid_until"))
            .col(string_len("appraiser", 100))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("appraisals", "patent_id", "patents"))
            .foreign_key(&mut fk("appraisals", "trademark_id", "trademarks"))
            .to_owned(),
    )
    .await?;
    m.create_index(index("appraisals", &["patent_id"], false))
        .await?;
    m.create_index(index("appraisals", &["trademark_id"], false))
        .await?;

    m.create_table(
        Table::create()
            .table(Alias::new("api_tokens"))
            .col(big_pk_auto("id"))
            .col(string_len("name", 100))
            .col(string_len("role", 16))
            .col(big_integer_null("park_id"))
            .col(big_integer_null("bank_id"))
            .col(string_len("prefix", 16))
            .col(string_len_uniq("hash", 64))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("api_tokens", "park_id", "parks"))
            .foreign_key(&mut fk("api_tokens", "bank_id", "banks"))
            .to_owned(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table(Alias::new("audit_log"))
            .col(big_pk_auto("id"))
            .col(timestamp_with_time_zone("at"))
            .col(big_integer_null("actor_token_id"))
            .col(string_len("actor", 120))
            .col(string_len("entity", 32))
            .col(string_len("entity_key", 64))
            .col(string_len("action", 32))
            .col(big_integer_null("park_id"))
            .col(json_null("before"))
            .col(json_null("after"))
            .col(text_null("reason"))
            .to_owned(),
    )
    .await?;
    m.create_index(index("audit_log", &["entity", "entity_key"], false))
        .await?;
    m.create_index(index("audit_log", &["park_id", "id"], false))
        .await?;
    Ok(())
}
